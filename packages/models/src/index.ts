/**
 * @tensorslim/models
 *
 * @packageDocumentation
 */
export {};
