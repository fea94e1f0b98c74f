// The Messages API's streamed answer (`"stream": true`): server-sent events that build the same message the
// non-streamed endpoint returns. The order is the one the streaming page documents: message_start (the message
// with empty content), a ping, per content block a content_block_start, its deltas and a content_block_stop, then
// message_delta (stop reason, stop details, final usage) and message_stop. Tool input arrives as input_json_delta
// pieces of the JSON text; a client only has the whole input at the block's stop.
import type { MessageResponse } from "./respond.ts";

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Pieces a block's text or JSON is cut into: enough that a stall mid-answer is a stall between events. */
const DELTAS_PER_BLOCK = 8;

function pieces(text: string, count: number): string[] {
  if (text.length === 0) return [];
  const size = Math.ceil(text.length / count);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export function streamEvents(message: MessageResponse): StreamEvent[] {
  const { usage } = message;
  const events: StreamEvent[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        // Input usage is known at the start; output counts one token so far, as upstream.
        message: {
          ...message,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    },
    { event: "ping", data: { type: "ping" } },
  ];
  message.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { ...block, text: "" } } });
      for (const text of pieces(block.text, DELTAS_PER_BLOCK)) {
        events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: { type: "text_delta", text } } });
      }
    } else {
      events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { ...block, input: {} } } });
      for (const partial_json of pieces(JSON.stringify(block.input), DELTAS_PER_BLOCK)) {
        events.push({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } },
        });
      }
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  events.push(
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: {
          stop_reason: message.stop_reason,
          stop_sequence: message.stop_sequence,
          stop_details: message.stop_details,
          container: null,
        },
        usage: {
          output_tokens: usage.output_tokens,
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
        },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  );
  return events;
}

export const formatEvent = ({ event, data }: StreamEvent): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
