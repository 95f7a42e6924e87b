/**
 * @tensorslim/io — model IO on disk without tfjs-node: load a LayersModel from model.json +
 * weight shards (Keras converter or TF.js layout) that stay inside the model's directory, with
 * every manifest entry checked before a byte is decoded ({@link loadModel}, {@link parseManifest});
 * save one crash-safely ({@link saveModel}); and the durable atomic file and directory writes
 * every other writer uses (checkpoints, reports, experiment results: {@link writeFileAtomic},
 * {@link writeDirAtomic}).
 *
 * Node only: it reads and writes files with Node's `fs`. In a web page, load a saved model with
 * TF.js itself, `tf.loadLayersModel(url)`, after importing the format plugins its layers come from.
 *
 * @packageDocumentation
 */
export * from './atomic.js';
export * from './manifest.js';
export * from './model-io.js';
