/**
 * Brands for the classes other packages check. A project can load @sona/core more than once
 * (its ESM and its CJS build, or two versions side by side): each copy has its own `Rng` and
 * `SonaError` class, and `instanceof` against one refuses the objects of another. A brand is a
 * prototype property under a global symbol (`Symbol.for`), the same in every copy; its value is
 * the version of the class's contract, to be raised if that contract ever changes incompatibly.
 */
export const RNG_BRAND: unique symbol = Symbol.for('@sona/core/Rng');
export const SONA_ERROR_BRAND: unique symbol = Symbol.for('@sona/core/SonaError');
export const CONTRACT_VERSION = 1;

export function hasBrand(value: unknown, key: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [key: symbol]: unknown })[key] === CONTRACT_VERSION
  );
}

/**
 * Brands the instances of `cls` under `key` and makes `instanceof cls` check the brand, so it
 * holds for instances from any copy; `instanceof` a subclass keeps the prototype check.
 */
export function brandClass(cls: { readonly prototype: object }, key: symbol): void {
  Object.defineProperty(cls.prototype, key, { value: CONTRACT_VERSION });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: function hasInstance(this: unknown, value: unknown): boolean {
      return this === cls
        ? hasBrand(value, key)
        : Function.prototype[Symbol.hasInstance].call(this as () => unknown, value);
    },
  });
}
