/**
 * Kubernetes resource quantities (`500m`, `2Gi`, `1e3`): parsing, comparison and the canonical
 * form the API server stores. Writing the canonical form keeps `kubectl diff` and Argo CD's
 * server-side diff empty after an apply: the server would rewrite `1000m` to `1` and `1024Mi` to `1Gi`.
 * @see https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go
 */

/** Unsigned quantity: a decimal number and an optional binary, decimal or exponent suffix. */
export const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Binary suffixes by power of 1024. */
const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
/** Decimal suffixes by power of 10. */
const DECIMAL: Record<number, string> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const DECIMAL_EXPONENT = Object.fromEntries(Object.entries(DECIMAL).map(([exp, suffix]) => [suffix, Number(exp)]));
/** The API server keeps nine decimal places and rounds anything finer up. */
const NANO = 10n ** 9n;

/** A parsed quantity: its exact value in nano units (rounded up) and the suffix family it was written in. */
interface Parsed {
  readonly nanos: bigint;
  readonly format: 'binary' | 'decimal' | 'exponent';
}

function parse(quantity: string): Parsed {
  const match = QUANTITY.exec(quantity);
  if (!match) throw new Error(`not a Kubernetes quantity: "${quantity}"`);
  const [, number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  // value = digits / 10^scale, then times the suffix's multiplier.
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let denominator = 10n ** BigInt(fraction.length);
  let format: Parsed['format'] = 'decimal';
  const binary = BINARY.indexOf(suffix as (typeof BINARY)[number]);
  if (suffix && binary > 0) {
    numerator *= 1024n ** BigInt(binary);
    format = 'binary';
  } else {
    const exponent = /^[eE]/.test(suffix) ? Number(suffix.slice(1)) : (DECIMAL_EXPONENT[suffix] ?? 0);
    if (/^[eE]/.test(suffix)) format = 'exponent';
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  numerator *= NANO;
  const nanos = numerator / denominator + (numerator % denominator === 0n ? 0n : 1n);
  return { nanos, format };
}

/** The quantity's value in base units (bytes or cores), for comparisons. */
export function quantityValue(quantity: string): number {
  return Number(parse(quantity).nanos) / Number(NANO);
}

/**
 * The form the API server returns for a quantity: the same suffix family, the largest suffix
 * that keeps the number whole (`1000m` → `1`, `1536Mi` stays, `1024Mi` → `1Gi`, `0.5` → `500m`).
 * A binary value below 1024 or with a fraction is written in decimal units, as the server does.
 */
export function canonicalQuantity(quantity: string): string {
  const { nanos, format } = parse(quantity);
  if (nanos === 0n) return '0';
  if (format === 'binary' && nanos >= 1024n * NANO && nanos % NANO === 0n) {
    let value = nanos / NANO;
    let power = 0;
    while (power < BINARY.length - 1 && value % 1024n === 0n) {
      value /= 1024n;
      power++;
    }
    return `${value}${BINARY[power]}`;
  }
  let mantissa = nanos;
  let exponent = -9;
  while (exponent < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (format === 'exponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  return `${mantissa}${DECIMAL[exponent]}`;
}
