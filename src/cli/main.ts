#!/usr/bin/env node
/**
 * The command line: `train`, `resume`, `sample`, `evaluate`, `compare`, `show`, `check` (see
 * `program.ts`). Exit 0 on success, 1 when training fails (divergence), 2 for bad usage or a bad
 * config, 130 when interrupted (the checkpoint is kept).
 */
import { run } from './program.ts'

await run(process.argv)
