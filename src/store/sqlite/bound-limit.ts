/**
 * A LIMIT bound at each run, spelled so that binding it does not recompile the statement.
 *
 * SQLite's compiler reads a bare `LIMIT ?`'s bound value (to size the LIMIT counter and the
 * planner's row estimate), which marks the statement as depending on that parameter: every new
 * binding then expires the prepared statement and its next run compiles it again. Measured with
 * better-sqlite3's SQLite (3.53) on Pontoon's schema, CPU per run of an empty read, alternating
 * forms: the reaper's 13 µs against 4-5 µs as `LIMIT ? + 0`, the listing's and the deliverer's
 * 23-33 µs against 4-6 µs; `? + 0` is an expression the compiler leaves to run time. The
 * query plans of Pontoon's statements are the same either way (test/store/sqlite-bound-limit.test.ts).
 */
export const boundLimit = 'LIMIT ? + 0';
