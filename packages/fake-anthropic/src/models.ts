// What the fake knows of each model, from the platform documentation (read 2026-12-01 through the search
// tool; quotes in the comments). The fake refuses what the real API refuses for the model named in a request,
// so a request shape that works against the fake is one the documentation says the service accepts.
//
// Sources:
//   Models overview  https://platform.claude.com/docs/about-claude/models/overview  (thinking, default effort)
//   Haiku 5.5        https://platform.claude.com/docs/en/models/haiku-5-5/overview and the effort page:
//                    "Adaptive thinking is on by default"; thinking: {type: "disabled"} works "at high effort or
//                    below. At xhigh or max, it returns a 400 error"; "Manual extended thinking (budget_tokens)
//                    returns a 400 error".
//   Opus 5.5         What's new in Claude Opus 5.5: thinking "disabled" and "enabled" return 400
//                    invalid_request_error; "Forced tool use returns an error".
//   Thinking + tools https://platform.claude.com/docs/build-with-claude/thinking-tool-workflows: "tool_choice
//                    options that force tool use return an error with manual extended thinking (thinking: {type:
//                    "enabled"}); adaptive thinking supports forced tool use."
//   Prompt caching   https://platform.claude.com/docs/en/build-with-claude/prompt-caching: minimum cacheable
//                    prompt "512 tokens for Claude Fable 5.1, Claude Mythos 5.1, Claude Opus 5.5, Claude Opus 5,
//                    Claude Sonnet 5.5, Claude Fable 5, Claude Mythos 5, and Claude Haiku 5.5"; "4,096 tokens for
//                    Claude Haiku 4.5"; 2,048 for Opus 4.7; 1,024 for Opus 4.8, Sonnet 5, Sonnet 4.6/4.5.
//                    "Shorter prompts cannot be cached, even if marked with cache_control ... no error is returned."

export interface ModelCapabilities {
  /** Thinking when the request sends no `thinking` field. */
  defaultThinking: "adaptive" | "off";
  /** Whether `thinking: {type: "disabled"}` is accepted, and up to which effort. */
  disableThinking: "never" | "up_to_high" | "always";
  /** Whether `thinking: {type: "enabled", budget_tokens}` (manual extended thinking) is accepted. */
  manualThinking: boolean;
  /** Whether tool_choice "tool" / "any" is accepted at all. */
  forcedToolChoice: boolean;
  /** Shorter prompt prefixes are processed without caching. */
  minCacheableTokens: number;
}

const FIVE_FAMILY_ALWAYS_THINKING: ModelCapabilities = {
  defaultThinking: "adaptive",
  disableThinking: "never",
  manualThinking: false,
  forcedToolChoice: false,
  minCacheableTokens: 512,
};

const MODELS: Record<string, ModelCapabilities> = {
  "claude-haiku-5-5": {
    defaultThinking: "adaptive",
    disableThinking: "up_to_high",
    manualThinking: false,
    forcedToolChoice: true,
    minCacheableTokens: 512,
  },
  "claude-opus-5-5": FIVE_FAMILY_ALWAYS_THINKING,
  "claude-fable-5-1": FIVE_FAMILY_ALWAYS_THINKING,
  "claude-mythos-5-1": FIVE_FAMILY_ALWAYS_THINKING,
  // The overview lists adaptive thinking for Sonnet 5.5; that "disabled" is not its off switch comes from third
  // parties only, so the fake accepts it as it does for Opus 5 ("at effort high or below").
  "claude-sonnet-5-5": {
    defaultThinking: "adaptive",
    disableThinking: "up_to_high",
    manualThinking: false,
    forcedToolChoice: true,
    minCacheableTokens: 512,
  },
  "claude-opus-5": {
    defaultThinking: "adaptive",
    disableThinking: "up_to_high",
    manualThinking: false,
    forcedToolChoice: true,
    minCacheableTokens: 512,
  },
  "claude-sonnet-5": {
    defaultThinking: "off",
    disableThinking: "always",
    manualThinking: true,
    forcedToolChoice: true,
    minCacheableTokens: 1024,
  },
  "claude-opus-4-8": {
    defaultThinking: "off",
    disableThinking: "always",
    manualThinking: true,
    forcedToolChoice: true,
    minCacheableTokens: 1024,
  },
  "claude-opus-4-7": {
    defaultThinking: "off",
    disableThinking: "always",
    manualThinking: true,
    forcedToolChoice: true,
    minCacheableTokens: 2048,
  },
  "claude-sonnet-4-6": {
    defaultThinking: "off",
    disableThinking: "always",
    manualThinking: true,
    forcedToolChoice: true,
    minCacheableTokens: 1024,
  },
  "claude-sonnet-4-5": {
    defaultThinking: "off",
    disableThinking: "always",
    manualThinking: true,
    forcedToolChoice: true,
    minCacheableTokens: 1024,
  },
  "claude-haiku-4-5": {
    defaultThinking: "off",
    disableThinking: "always",
    manualThinking: true,
    forcedToolChoice: true,
    minCacheableTokens: 4096,
  },
};

const DATED_ALIASES: Record<string, string> = {
  "claude-haiku-4-5-20251001": "claude-haiku-4-5",
  "claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
};

/** The model's capabilities, or null for a model the fake does not know (the real API answers 404). */
export function modelCapabilities(model: string): ModelCapabilities | null {
  return MODELS[DATED_ALIASES[model] ?? model] ?? null;
}

/** Effort levels above "high", where the models that allow it at all refuse thinking "disabled". */
export const HIGH_EFFORTS = ["xhigh", "max"] as const;

// Messages as the API words them (quoted from the documentation and from answers reported in public issues).
export const THINKING_NOT_SUPPORTED = (type: "disabled" | "enabled") =>
  `"thinking.type.${type}" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`;
export const FORCED_TOOL_NOT_SUPPORTED = 'tool_choice: type "tool" and "any" are not supported for this model.';
export const FORCED_TOOL_WITH_MANUAL_THINKING = "Thinking may not be enabled when tool_choice forces tool use.";
