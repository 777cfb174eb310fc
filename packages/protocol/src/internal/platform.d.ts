/**
 * The few platform globals the protocol relies on, present in every browser and
 * in Node >= 19. Declared here so the package compiles with neither DOM nor Node
 * types: any other platform API is a type error.
 */
declare global {
  class TextEncoder {
    encode(input?: string): Uint8Array;
  }
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean });
    decode(input?: Uint8Array): string;
  }
  // eslint-disable-next-line no-var
  var crypto: { getRandomValues<T extends Uint8Array>(array: T): T };
}
export {};
