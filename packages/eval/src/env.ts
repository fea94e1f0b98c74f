// The evaluation script's one configuration input: a real key makes `--real` possible.
export const realAnthropicKey = process.env.ANTHROPIC_API_KEY;
