/**
 * The results of an experiment's cells: what one cell records (layers, epochs, each arm's
 * accuracies, ADMM's residuals), and its id.
 *
 * @module
 */

/** One compressed layer of a cell. */
export interface CellLayer {
  /** Layer name. */
  readonly name: string;
  /** Parameters of the dense layer. */
  readonly paramsBefore: number;
  /** Parameters of the factorized layer. */
  readonly paramsAfter: number;
}

/** The epochs of a cell's training: the dense model's, ADMM's (= the continued arm's dense epochs) and fine-tuning's. */
export interface CellEpochs {
  /** Epochs of the dense model (`train`), null when its report is missing. */
  readonly dense: number | null;
  /** ADMM epochs; the continued arm trains the dense model as many epochs. */
  readonly admm: number;
  /** Fine-tuning epochs of every arm. */
  readonly finetune: number;
}

/** One finished (or failed) cell. */
export interface CellResult {
  /** Cell id. */
  readonly id: string;
  /** Model. */
  readonly model: string;
  /** Format. */
  readonly format: string;
  /** Target ratio. */
  readonly ratio: number;
  /** Seed. */
  readonly seed: number;
  /** The plan file the cell was compressed with. */
  readonly plan: string;
  /** The `compress` command line it ran (a cell recorded with another one is run again). */
  readonly command: readonly string[];
  /** The compressed layers (every arm decomposes the same layers at the same ranks). */
  readonly layers: readonly CellLayer[];
  /** Parameters of the whole dense model. */
  readonly modelParams: number | null;
  /** Epoch budgets. */
  readonly epochs: CellEpochs | null;
  /** Dense accuracy (the same for every cell of a model and seed: they share the dense model). */
  readonly dense: number | null;
  /** ADMM + fine-tune accuracy. */
  readonly admm: number | null;
  /** The ADMM-trained dense model, before decomposition. */
  readonly admmTrained: number | null;
  /** ADMM right after decomposition (before fine-tuning). */
  readonly admmBeforeFinetune: number | null;
  /** Direct decomposition + fine-tune accuracy. */
  readonly direct: number | null;
  /** Direct right after decomposition. */
  readonly directBeforeFinetune: number | null;
  /** Direct with the same total epochs: accuracy after fine-tuning. */
  readonly continued: number | null;
  /** Its dense model after the continued epochs, before decomposition. */
  readonly continuedTrained: number | null;
  /** Right after its decomposition. */
  readonly continuedBeforeFinetune: number | null;
  /** Achieved compression ratio of the compressed layers. */
  readonly achievedRatio: number | null;
  /** Largest primal residual per ADMM update. */
  readonly primal: readonly number[];
  /** The last of them (null without updates). */
  readonly finalPrimal: number | null;
  /** Error message when the cell failed. */
  readonly error?: string;
}

/** The cell id of a combination. */
export function cellId(model: string, format: string, ratio: number, seed: number): string {
  return `${model}-${format}-r${ratio}-s${seed}`;
}
