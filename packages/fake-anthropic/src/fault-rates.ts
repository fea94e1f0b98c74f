/**
 * Reads `kind=probability,kind=probability` (the CLI's `--fault-rate` and FAKE_ANTHROPIC_FAULT_RATES) into a map,
 * refusing a kind outside `kinds` or a probability outside [0, 1] with a message naming it.
 */
export function parseRateList<K extends string>(text: string, kinds: readonly K[]): Partial<Record<K, number>> {
  const rates: Partial<Record<K, number>> = {};
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const match = /^([a-z_]+)=(\d*\.?\d+)$/.exec(part);
    if (!match) throw new Error(`"${part}" is not kind=probability`);
    const [, kind, value] = match as unknown as [string, string, string];
    if (!(kinds as readonly string[]).includes(kind)) throw new Error(`unknown kind "${kind}" (expected one of ${kinds.join(", ")})`);
    const rate = Number(value);
    if (!(rate >= 0 && rate <= 1)) throw new Error(`rate for "${kind}" must be between 0 and 1`);
    rates[kind as K] = rate;
  }
  return rates;
}
