import { createHash, type Hash } from "node:crypto";
import type { CacheControl, MessagesRequest } from "./protocol.ts";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens_details: null;
  server_tool_use: null;
  /** "batch" for a Message Batch item, "standard" for a Messages request. */
  service_tier: "standard" | "batch";
  speed: "standard";
  inference_geo: null;
}

/** About four characters per token, as in the real tokenizer's English text; never less than one token. */
export const estimateTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

const TTL_MS = { "5m": 5 * 60_000, "1h": 60 * 60_000 } as const;
type Ttl = keyof typeof TTL_MS;

interface Piece {
  text: string;
  cache: CacheControl | null | undefined;
}

function withoutCacheControl(value: Record<string, unknown>): string {
  const { cache_control: _ignored, ...rest } = value;
  return JSON.stringify(rest);
}

/** The prompt in the order the real cache hashes it: tools, then system, then messages. */
function promptPieces(request: MessagesRequest): Piece[] {
  const pieces: Piece[] = [];
  for (const tool of request.tools ?? []) pieces.push({ text: withoutCacheControl(tool), cache: tool.cache_control });
  if (typeof request.system === "string") pieces.push({ text: request.system, cache: null });
  for (const block of Array.isArray(request.system) ? request.system : []) {
    pieces.push({ text: block.text, cache: block.cache_control });
  }
  for (const message of request.messages) {
    if (typeof message.content === "string") {
      pieces.push({ text: `${message.role}:${message.content}`, cache: null });
      continue;
    }
    for (const block of message.content) {
      const text = block.type === "text" && typeof block.text === "string" ? block.text : withoutCacheControl(block);
      pieces.push({ text: `${message.role}:${text}`, cache: block.cache_control });
    }
  }
  return pieces;
}

interface Breakpoint {
  key: string;
  chars: number;
  ttl: Ttl;
}

/**
 * Prompt caching as the API reports it: the first request with a given prefix up to a `cache_control`
 * breakpoint pays for writing it (cache_creation_input_tokens), later ones within the TTL read it
 * (cache_read_input_tokens), and each hit refreshes the TTL.
 */
export class PromptCache {
  private readonly expiry = new Map<string, number>();

  /**
   * @param minCacheableTokens the minimum cacheable prefix, or the model's (see models.ts): a breakpoint with a
   * shorter prefix is not cached, as on the real API (512 tokens on Haiku 5.5, 4,096 on Haiku 4.5). 0 caches
   * everything, for short test prompts.
   */
  constructor(
    private readonly now: () => number,
    private readonly minCacheableTokens: number | ((model: string) => number) = 0,
  ) {}

  clear(): void {
    this.expiry.clear();
  }

  usage(request: MessagesRequest, outputTokens: number): Usage {
    const hash: Hash = createHash("sha256").update(request.model);
    const breakpoints: Breakpoint[] = [];
    const minTokens = typeof this.minCacheableTokens === "number" ? this.minCacheableTokens : this.minCacheableTokens(request.model);
    let chars = 0;
    for (const piece of promptPieces(request)) {
      chars += piece.text.length;
      hash.update(`\u0000${piece.text}`);
      if (piece.cache && Math.ceil(chars / 4) >= minTokens)
        breakpoints.push({ key: hash.copy().digest("hex"), chars, ttl: piece.cache.ttl ?? "5m" });
    }

    const now = this.now();
    const hit = breakpoints.findLastIndex((b) => (this.expiry.get(b.key) ?? 0) > now);
    const readChars = breakpoints[hit]?.chars ?? 0;
    const created = { "5m": 0, "1h": 0 };
    let previousChars = readChars;
    breakpoints.forEach((b, i) => {
      if (i > hit) {
        created[b.ttl] += Math.ceil(b.chars / 4) - Math.ceil(previousChars / 4);
        previousChars = b.chars;
      }
      this.expiry.set(b.key, now + TTL_MS[b.ttl]);
    });

    const cacheRead = Math.ceil(readChars / 4);
    const cacheCreation = created["5m"] + created["1h"];
    return {
      input_tokens: Math.max(0, estimateTokens(chars) - cacheRead - cacheCreation),
      output_tokens: outputTokens,
      cache_creation_input_tokens: cacheCreation,
      cache_read_input_tokens: cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: created["5m"], ephemeral_1h_input_tokens: created["1h"] },
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: "standard",
      speed: "standard",
      inference_geo: null,
    };
  }
}
