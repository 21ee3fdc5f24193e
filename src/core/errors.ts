/**
 * Typed errors. Anything a user can cause (a bad file, flag, dataset or task) is an InputError or
 * ConfigError; the CLI prints `error: <message>` and exits 2 without a stack trace. Everything else
 * is a bug and keeps its stack.
 */
export class VqbenchError extends Error {
  override name = 'VqbenchError';
}

/** A file, flag or dataset the user gave is missing, malformed or inconsistent. */
export class InputError extends VqbenchError {
  override name = 'InputError';
}

/** A task file or configuration is invalid. */
export class ConfigError extends VqbenchError {
  override name = 'ConfigError';
}

/** A backend that cannot run on this machine; `reason` says why (reported as "not run"). */
export class UnavailableError extends VqbenchError {
  override name = 'UnavailableError';
}
