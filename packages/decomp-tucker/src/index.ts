/**
 * @tensorslim/decomp-tucker
 *
 * @packageDocumentation
 */
export {};
