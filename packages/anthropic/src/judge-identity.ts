// The Anthropic classifier's judge identity (Classifier.judgeIdentity): the model, and a digest of everything the
// model is told besides the member's own numbers. A new prompt, rubric threshold or tool schema changes it, so no
// judgement made under the old wording is reused after a deploy.
import { createHash } from "node:crypto";
import { CLASSIFICATION_TOOL_DESCRIPTION, CLASSIFICATION_TOOL_INPUT_SCHEMA, CLASSIFICATION_TOOL_NAME } from "@engagement/engagement";

export function anthropicJudgeIdentity(model: string, systemPrompt: string): string {
  const digest = createHash("sha256")
    .update(systemPrompt)
    .update("\0")
    .update(JSON.stringify([CLASSIFICATION_TOOL_NAME, CLASSIFICATION_TOOL_DESCRIPTION, CLASSIFICATION_TOOL_INPUT_SCHEMA]))
    .digest("hex")
    .slice(0, 16);
  return `anthropic:${model}:${digest}`;
}
