/**
 * @tensorslim/admm
 *
 * @packageDocumentation
 */
export {};
