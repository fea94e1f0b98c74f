// The standalone fake server's environment (src/main.ts); flags given on the command line win over these.
export const fakeServerEnv = {
  port: process.env.PORT,
  host: process.env.FAKE_ANTHROPIC_HOST,
  latency: process.env.FAKE_ANTHROPIC_LATENCY_MS,
  rpm: process.env.FAKE_ANTHROPIC_RPM,
  apiKey: process.env.FAKE_ANTHROPIC_API_KEY,
  faultRates: process.env.FAKE_ANTHROPIC_FAULT_RATES,
  faultSeed: process.env.FAKE_ANTHROPIC_FAULT_SEED,
  batchProcessingMs: process.env.FAKE_ANTHROPIC_BATCH_PROCESSING_MS,
  batchItemFaultRates: process.env.FAKE_ANTHROPIC_BATCH_ITEM_FAULT_RATES,
};
