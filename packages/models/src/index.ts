/**
 * @tensorslim/models — architectures built with TF.js layers (LeNet-5, ResNet-20/32/56,
 * ResNet-18, an LSTM classifier) with default compression plans, and datasets as seeded batch
 * streams (MNIST and any IDX directory, CIFAR-10/100 binaries, synthetic data).
 *
 * @packageDocumentation
 */
export * from './architectures/index.js';
export * from './datasets/index.js';
