// Ink's chalk decides its colour level when first imported, and a test worker's stdout is no
// TTY, so without this no frame carries styles at all: the selected row (inverse) could not be
// told apart and a NO_COLOR check would pass vacuously. Import this before anything imports ink.
process.env.FORCE_COLOR = '1';
