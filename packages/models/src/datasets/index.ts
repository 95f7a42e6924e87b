/**
 * Datasets as seeded, shuffled batch streams (core's DataSource): MNIST and any IDX directory,
 * CIFAR-10/100 binaries, synthetic data; and the registry {@link loadDataset} reads.
 *
 * @module
 */
export * from './idx.js';
export * from './array-dataset.js';
export * from './mnist.js';
export * from './cifar.js';
export * from './synthetic.js';
export * from './image-folder.js';
export * from './registry.js';
