/* notfound.js — an address the app has no page for. */
import { h, show, link } from '../dom.js';
import { t } from '../text.js';

export function render() {
  show(t('notFoundTitle'), h('h1', null, t('notFoundTitle')), h('p', null, t('notFound')),
    h('p', null, link('/callsheet', t('navCallsheet'))));
}
