import { cronJobs } from "convex/server";
import { internal } from "./_generated/api.js";

const crons = cronJobs();

// Every day at 04:00 UTC, served orders older than a day move to `archivedOrders`.
crons.daily("archive served orders", { hourUTC: 4, minuteUTC: 0 }, internal.kitchen.archiveServed);

export default crons;
