export {
  CONTEXT_LABELS,
  DEFAULT_BINDINGS,
  ID_ALIASES,
  KEY_CONTEXTS,
  MODAL_CONTEXTS,
  type BindingSpec,
  type CommandId,
  type KeyBinding,
  type KeyContext,
  type KeyGroup,
} from './bindings.js';
export { bytesForKey, findKey, keyFromBytes } from './bytes.js';
export { helpSections, keymapMarkdown, type HelpRow, type HelpSection } from './docs.js';
export { InputDecoder, type InputEvent } from './input.js';
export { composeKey, displayKey, isKeyName, parseKeySpec, splitKey, type KeyName, type KeyParts, type NamedKey, type ParsedKey } from './keys.js';
export { applyOverrides, type OverrideResult } from './overrides.js';
export { findClashes, hintsFor, keysFor, reachableBindings, resolveKey, type KeyClash, type KeyHint } from './resolve.js';
