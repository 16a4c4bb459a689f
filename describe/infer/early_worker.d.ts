// Types of early_worker.js (plain JavaScript: it runs before tsx's loader is registered).
import type { Worker } from "node:worker_threads";

/** Starts the inference worker (once); it never keeps the process alive by itself. */
export function startEarlyWorker(): void;
/** The early worker, handed over once; null when none was started or it already failed. */
export function takeEarlyWorker(): Worker | null;
/** Ends the early worker if nobody took it (the app's result was cached). */
export function dropEarlyWorker(): void;
