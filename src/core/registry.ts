/**
 * The one way vqbench builds a registry (quantizers, indexes, datasets): a frozen map from each
 * entry's name to the frozen entry. A duplicate name is a bug and throws when the module loads.
 */
export function frozenRegistry<T extends object>(what: string, list: readonly T[], nameOf: (e: T) => string): Readonly<Record<string, Readonly<T>>> {
  const map: Record<string, Readonly<T>> = {};
  for (const e of list) {
    const name = nameOf(e);
    if (Object.prototype.hasOwnProperty.call(map, name)) throw new Error(`${what} registry: duplicate id '${name}'`);
    map[name] = Object.freeze({ ...e });
  }
  return Object.freeze(map);
}
