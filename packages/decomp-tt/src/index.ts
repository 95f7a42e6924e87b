/**
 * @tensorslim/decomp-tt
 *
 * @packageDocumentation
 */
export {};
