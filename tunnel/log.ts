/**
 * The logger every component receives explicitly. In the cluster it writes JSON lines; the
 * daemon writes the same lines to its log file; tests record entries in memory.
 *
 * @module
 */

export const LogLevel = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LogLevel;

/** Structured fields of a log entry. */
export type LogFields = Record<string, unknown>;

/** Where components report what happened. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

/** One recorded entry. */
export interface LogEntry {
  time: string;
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** The level below which entries are dropped; mutable so it can change at run time. */
export class LevelSwitch {
  level: LogLevel;
  constructor(level: LogLevel = "info") {
    this.level = level;
  }
  /** Whether `level` passes the switch. */
  enabled(level: LogLevel): boolean {
    return LogLevel[level] >= LogLevel[this.level];
  }
}

/** Reads a level name such as the value of `TPX_LOG_LEVEL`; unknown values give `fallback`. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel = "info"): LogLevel {
  const name = value?.trim().toLowerCase();
  return name !== undefined && Object.hasOwn(LogLevel, name) ? name as LogLevel : fallback;
}

class SinkLogger implements Logger {
  constructor(
    readonly sink: (entry: LogEntry) => void,
    readonly levels: LevelSwitch,
    readonly fields: LogFields,
  ) {}

  #log(level: LogLevel, message: string, fields?: LogFields): void {
    if (!this.levels.enabled(level)) return;
    this.sink({
      time: new Date().toISOString(),
      level,
      message,
      fields: { ...this.fields, ...fields },
    });
  }
  debug(message: string, fields?: LogFields): void {
    this.#log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log("error", message, fields);
  }
  child(fields: LogFields): Logger {
    return new SinkLogger(this.sink, this.levels, { ...this.fields, ...fields });
  }
}

/**
 * A logger that writes one JSON object per line.
 *
 * @param writeLine receives each line, without the newline
 * @param levels the level switch
 * @returns the logger
 */
export function jsonLinesLogger(
  writeLine: (line: string) => void,
  levels: LevelSwitch = new LevelSwitch(),
): Logger {
  return new SinkLogger(
    (entry) => {
      writeLine(JSON.stringify({
        time: entry.time,
        level: entry.level,
        msg: entry.message,
        ...entry.fields,
      }, errorsAsText));
    },
    levels,
    {},
  );
}

function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}

/** A logger that keeps entries in memory, for tests. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];
  readonly #inner: Logger;
  constructor(levels: LevelSwitch = new LevelSwitch("debug")) {
    this.#inner = new SinkLogger((entry) => this.entries.push(entry), levels, {});
  }
  debug(message: string, fields?: LogFields): void {
    this.#inner.debug(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#inner.info(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#inner.warn(message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#inner.error(message, fields);
  }
  child(fields: LogFields): Logger {
    return this.#inner.child(fields);
  }
  /** Messages recorded so far at `level` or above. */
  messages(level: LogLevel = "debug"): string[] {
    return this.entries.filter((e) => LogLevel[e.level] >= LogLevel[level]).map((e) => e.message);
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = new SinkLogger(() => {}, new LevelSwitch("error"), {});
