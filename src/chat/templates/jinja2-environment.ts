import { Environment, Interpreter, type Template } from '@huggingface/jinja';

/**
 * The environment transformers' `_compile_jinja_template` renders chat templates in, built from
 * @huggingface/jinja's exported parts rather than its `Template.render`, which declares its own
 * `raise_exception` and `strftime_now` and refuses to let a caller replace them. Ours are jinja2's:
 * a template's own refusal can be told apart from a renderer failure, and dates come out as
 * Python's `datetime.strftime` writes them in the C locale whatever the machine's locale.
 */

/** A template called `raise_exception(message)`: it refuses this conversation on purpose. */
export class TemplateRaisedError extends Error {
  override readonly name = 'TemplateRaisedError';
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Python's `datetime.strftime` in the C locale, for the directives that do not need a time zone. */
export function pythonStrftime(date: Date, format: string): string {
  return format.replace(/%([a-zA-Z%])/g, (directive: string, code: string) => {
    const hours12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
    const startOfYear = new Date(date.getFullYear(), 0, 1);
    const dayOfYear = Math.round((new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() - startOfYear.getTime()) / 86_400_000) + 1;
    switch (code) {
      case 'Y': return String(date.getFullYear());
      case 'y': return pad(date.getFullYear() % 100);
      case 'm': return pad(date.getMonth() + 1);
      case 'd': return pad(date.getDate());
      case 'e': return String(date.getDate()).padStart(2, ' ');
      case 'j': return pad(dayOfYear, 3);
      case 'B': return monthNames[date.getMonth()]!;
      case 'b': case 'h': return monthNames[date.getMonth()]!.slice(0, 3);
      case 'A': return dayNames[date.getDay()]!;
      case 'a': return dayNames[date.getDay()]!.slice(0, 3);
      case 'w': return String(date.getDay());
      case 'H': return pad(date.getHours());
      case 'I': return pad(hours12);
      case 'p': return date.getHours() < 12 ? 'AM' : 'PM';
      case 'M': return pad(date.getMinutes());
      case 'S': return pad(date.getSeconds());
      case 'f': return pad(date.getMilliseconds() * 1000, 6);
      case 'F': return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
      case 'T': return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
      case '%': return '%';
      default: return directive;
    }
  });
}

/** Python's `range(stop)` / `range(start, stop[, step])`. */
function range(...args: number[]): number[] {
  const [start, stop, step = 1] = args.length === 1 ? [0, args[0]!] : args;
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const result: number[] = [];
  for (let value = start!; step > 0 ? value < stop! : value > stop!; value += step) result.push(value);
  return result;
}

/** Renders a parsed template with `variables` over jinja2's and transformers' globals. */
export function renderInJinja2Environment(
  template: Template,
  variables: Readonly<Record<string, unknown>>,
): string {
  const globals = new Environment();
  const builtins: Record<string, unknown> = {
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
    range,
    raise_exception: (message: unknown) => {
      throw new TemplateRaisedError(String(message));
    },
    strftime_now: (format: unknown) => pythonStrftime(new Date(), String(format)),
  };
  for (const [name, value] of Object.entries(builtins)) globals.set(name, value);
  // The caller's variables live in a scope of their own, so they may shadow a global as in jinja2.
  const scope = new Environment(globals);
  for (const [name, value] of Object.entries(variables)) scope.set(name, value);
  return new Interpreter(scope).run(template.parsed).value as string;
}
