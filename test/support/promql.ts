import { parser } from '@prometheus-io/lezer-promql';

/** A node of lezer's syntax tree. */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Syntax errors of a PromQL expression, as Prometheus' own UI parser finds them. */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`error at ${node.from}: ${expr.slice(node.from, node.from + 20)}`);
    },
  });
  return errors;
}

/** One label matcher of a selector: `label op "value"`. */
export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A vector selector: the metric it names (exactly or by a `__name__` regex) and its other matchers. */
export interface Selector {
  /** The metric name, or the `__name__` pattern; undefined when the selector names none. */
  readonly metric?: string;
  /** The metric is a regular expression (`__name__=~`), anchored at both ends as PromQL does. */
  readonly regex: boolean;
  readonly matchers: readonly LabelMatcher[];
}

/** Every vector selector of a PromQL expression, read from its syntax tree. */
export function selectorsOf(expr: string): Selector[] {
  const text = (node: SyntaxNode | null) => (node ? expr.slice(node.from, node.to) : '');
  const selectors: Selector[] = [];
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      let metric = node.getChild('Identifier') ? text(node.getChild('Identifier')) : undefined;
      let regex = false;
      const matchers: LabelMatcher[] = [];
      for (const child of node.getChild('LabelMatchers')?.getChildren('QuotedLabelName') ?? []) {
        metric = unquote(text(child.getChild('StringLiteral'))); // {"metric.name"}: a UTF-8 metric name
      }
      const labelled = node.getChild('LabelMatchers');
      for (const m of [
        ...(labelled?.getChildren('UnquotedLabelMatcher') ?? []),
        ...(labelled?.getChildren('QuotedLabelMatcher') ?? []),
      ]) {
        const name = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
        const label = name?.name === 'QuotedLabelName' ? unquote(text(name.getChild('StringLiteral'))) : text(name);
        const op = text(m.getChild('MatchOp')) as LabelMatcher['op'];
        const value = unquote(text(m.getChild('StringLiteral')));
        if (label === '__name__' && (op === '=' || op === '=~')) {
          metric = value;
          regex = op === '=~';
        } else matchers.push({ label, op, value });
      }
      selectors.push({ metric, regex, matchers });
    },
  });
  return selectors;
}

/** The value of a PromQL string literal: double quotes take Go escapes (JSON's, for these), backticks none. */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  if (literal.startsWith("'")) return JSON.parse(`"${literal.slice(1, -1).replace(/"/g, '\\"')}"`);
  return JSON.parse(literal);
}

/** Does a selector's metric (a name or an anchored pattern) select this name? */
export function selectsName(selector: Selector, name: string): boolean {
  return selector.regex ? new RegExp(`^(?:${selector.metric})$`).test(name) : selector.metric === name;
}
