/**
 * A small seedable PRNG (a linear congruential generator): fault rates drawn from it give the same faults to the
 * same sequence of requests on every run with the same seed, so a flaky-looking failure can be replayed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
