import { h, replace } from '../dom.js';
import type { PageLife } from '../state.js';

export async function connectPage(main: HTMLElement, _life: PageLife, _params: string[]): Promise<void> {
  replace(main, h('h1', {}, 'connect'));
}
