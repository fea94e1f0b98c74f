import { runTemplateScript } from "./jest-global-setup.js";

export default function globalTeardown() {
  if (process.env.ENGAGEMENT_TEST_TEMPLATE) runTemplateScript([process.env.ENGAGEMENT_TEST_TEMPLATE, "--drop"]);
}
