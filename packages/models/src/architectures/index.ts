/**
 * The built-in architectures (LeNet-5, ResNet-20/32/56, ResNet-18, LSTM) and their default plans.
 *
 * @module
 */
export * from './common.js';
export * from './lenet.js';
export * from './resnet.js';
export * from './lstm.js';
export * from './registry.js';
