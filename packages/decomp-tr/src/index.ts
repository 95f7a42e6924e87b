/**
 * @tensorslim/decomp-tr
 *
 * @packageDocumentation
 */
export {};
