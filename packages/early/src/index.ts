/**
 * @tensorslim/early — early decomposition (Elhoushi et al., arXiv 1909.05675) on
 * `@tensorslim/admm`'s training loop: train the dense model for K epochs, decompose the planned
 * layers with core's surgery, train the factorized model for the rest; compared with dense
 * training of the same epochs, with a kernel-by-kernel profile of one training step of each.
 * The `tensorslim train --decompose-at-epoch K` command runs it.
 *
 * @packageDocumentation
 */
export * from './early.js';
export * from './profile.js';
