import { describePipeline } from "./pipeline-suite.ts";

describePipeline("nightly pipeline, end to end (real PostgreSQL and Redis, fake Anthropic)");
