/** Imported by a fresh task worker to set up its module loader before the first run. */
export {};
