/*
 * members.js — /office/{id}/members: who belongs to the production and how.
 *
 *   departments   add, rename, delete (the API refuses a department that
 *                 still has people or members, and says so)
 *   members       their role and department, change either, revoke and
 *                 reinstate, each with what it does said before it is done
 *   invitations   send one by email, see those pending, withdraw one, send
 *                 one again (withdraw, then invite anew: a new link)
 *
 * Production admins and producers change these (member write all); a
 * department head sees their department's members and nothing to change.
 */
import { h, field, statusLine, busy, uid } from '../dom.js';
import { get, post, patch, del, ApiError, showFieldErrors } from '../api.js';
import { t, roleName, problemText } from '../text.js';
import { formatInstant } from '../format.js';
import { apiBase, loadProduction, frame, scope, table, confirmStep } from '../office.js';

const ROLES = ['production_admin', 'producer', 'ad', 'department_head', 'crew', 'cast'];

function selectRow(label, name, options, value) {
  const id = uid(name);
  const errId = `${id}-error`;
  const input = h('select', { id, name, 'aria-describedby': errId },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  return {
    row: h('div', { class: 'field' }, h('label', { for: id }, label), input, err),
    input,
    setError: (msg) => { err.textContent = msg || ''; err.hidden = !msg; },
  };
}

function departmentsPart(prod, departments, canWrite, reload, note) {
  const base = apiBase(prod.id);
  const items = departments.map((d) => {
    if (!canWrite) return h('li', null, d.name);
    const rename = field(t('renameDepartment', { name: d.name }), { name: 'name', value: d.name, autocomplete: 'off' });
    const save = h('button', { type: 'submit' }, t('rename'));
    const form = h('form', { class: 'inline', novalidate: true, 'aria-label': t('renameDepartment', { name: d.name }) }, rename.row, save);
    form.addEventListener('submit', busy(save, async () => {
      rename.setError(null);
      try {
        await patch(`${base}/departments/${encodeURIComponent(d.id)}`, { name: rename.input.value.trim() });
        await reload(t('departmentRenamed'));
      } catch (err) {
        if (!showFieldErrors(err, { name: rename.setError })) rename.setError(problemText(err));
      }
    }));
    const remove = confirmStep(h('button', { type: 'button', class: 'danger' }, t('deleteDepartment', { name: d.name })),
      t('deleteDepartmentConsequence', { name: d.name }), t('yesDelete'), async () => {
        try {
          await del(`${base}/departments/${encodeURIComponent(d.id)}`);
          await reload(t('departmentDeleted', { name: d.name }));
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      });
    return h('li', { class: 'card' }, form, h('div', { class: 'actions' }, remove));
  });
  const parts = [h('h2', null, t('departmentsTitle')), h('ul', { class: canWrite ? 'cards' : 'plain' }, items)];
  if (canWrite) {
    const name = field(t('newDepartment'), { name: 'name', autocomplete: 'off' });
    const add = h('button', { type: 'submit', class: 'primary' }, t('addDepartment'));
    const form = h('form', { novalidate: true, 'aria-label': t('addDepartment') }, name.row, add);
    form.addEventListener('submit', busy(add, async () => {
      name.setError(null);
      try {
        await post(`${base}/departments`, { name: name.input.value.trim() });
        await reload(t('departmentAdded'));
      } catch (err) {
        if (!showFieldErrors(err, { name: name.setError })) name.setError(problemText(err));
      }
    }));
    parts.push(form);
  }
  return parts;
}

function memberRow(prod, m, departments, canWrite, reload, note) {
  const base = apiBase(prod.id);
  const who = m.display_name || m.email;
  const cells = [
    h('th', { scope: 'row' }, who, h('br'), h('span', { class: 'muted' }, m.email)),
    h('td', null, roleName(m.role)),
    h('td', null, m.department || ''),
    h('td', null, m.revoked ? t('revoked') : t('active')),
  ];
  if (!canWrite) return h('tr', null, cells);
  const role = selectRow(t('roleOf', { name: who }), 'role', ROLES.map((r) => [r, roleName(r)]), m.role);
  const dept = selectRow(t('departmentOf', { name: who }), 'department',
    [['', t('noDepartment')], ...departments.map((d) => [d.name, d.name])], m.department || '');
  const save = h('button', { type: 'submit' }, t('changeRole'));
  const form = h('form', { class: 'inline', novalidate: true, 'aria-label': t('roleOf', { name: who }) }, role.row, dept.row, save);
  form.addEventListener('submit', busy(save, async () => {
    role.setError(null);
    dept.setError(null);
    const body = {};
    if (role.input.value !== m.role) body.role = role.input.value;
    if (dept.input.value !== (m.department || '')) body.department = dept.input.value;
    if (!Object.keys(body).length) return;
    try {
      await patch(`${base}/members/${encodeURIComponent(m.id)}`, body);
      await reload(t('memberChanged', { name: who }));
    } catch (err) {
      if (!showFieldErrors(err, { role: role.setError, department: dept.setError })) note.say(problemText(err), 'error');
    }
  }));
  const action = m.revoked
    ? confirmStep(h('button', { type: 'button' }, t('reinstate')), t('reinstateConsequence', { name: who }), t('yesReinstate'), async () => {
      try {
        await post(`${base}/members/${encodeURIComponent(m.id)}/reinstate`);
        await reload(t('memberReinstated', { name: who }));
      } catch (err) {
        note.say(problemText(err), 'error');
      }
    })
    : confirmStep(h('button', { type: 'button', class: 'danger' }, t('revoke')), t('revokeConsequence', { name: who }), t('yesRevoke'), async () => {
      try {
        const r = await post(`${base}/members/${encodeURIComponent(m.id)}/revoke`);
        await reload(t(r && r.sessions_ended ? 'memberRevokedSignedOut' : 'memberRevoked', { name: who }));
      } catch (err) {
        note.say(problemText(err), 'error');
      }
    });
  return h('tr', null, cells, h('td', null, form, h('div', { class: 'actions' }, action)));
}

function invitationsPart(prod, invitations, departments, reload, note) {
  const base = apiBase(prod.id);
  const email = field(t('email'), { type: 'email', name: 'email', autocomplete: 'off' });
  const role = selectRow(t('role'), 'role', ROLES.map((r) => [r, roleName(r)]), 'crew');
  const dept = selectRow(t('department'), 'department', [['', t('noDepartment')], ...departments.map((d) => [d.name, d.name])], '');
  const send = h('button', { type: 'submit', class: 'primary' }, t('sendInvitation'));
  const form = h('form', { novalidate: true, 'aria-label': t('inviteSomeone') }, email.row, role.row, dept.row, send);
  const invite = (body) => post(`${base}/invitations`, body);
  form.addEventListener('submit', busy(send, async () => {
    for (const f of [email, role, dept]) f.setError(null);
    const body = { email: email.input.value.trim(), role: role.input.value };
    if (dept.input.value) body.department = dept.input.value;
    try {
      await invite(body);
      await reload(t('invitationSent', { email: body.email }));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (!showFieldErrors(err, { email: email.setError, role: role.setError, department: dept.setError })) note.say(problemText(err), 'error');
    }
  }));
  const rows = invitations.map((i) => {
    const withdraw = confirmStep(h('button', { type: 'button', class: 'danger' }, t('withdraw')),
      t('withdrawConsequence', { email: i.email }), t('yesWithdraw'), async () => {
        try {
          await del(`${base}/invitations/${encodeURIComponent(i.id)}`);
          await reload(t('invitationWithdrawn', { email: i.email }));
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      });
    const again = confirmStep(h('button', { type: 'button' }, t('sendAgain')),
      t('sendAgainConsequence', { email: i.email }), t('yesSendAgain'), async () => {
        try {
          await del(`${base}/invitations/${encodeURIComponent(i.id)}`);
          await invite({ email: i.email, role: i.role, ...(i.department ? { department: i.department } : {}) });
          await reload(t('invitationSent', { email: i.email }));
        } catch (err) {
          note.say(problemText(err), 'error');
        }
      });
    return h('tr', null, h('th', { scope: 'row' }, i.email), h('td', null, roleName(i.role)),
      h('td', null, formatInstant(i.expires_at, prod.timezone)), h('td', null, h('div', { class: 'actions' }, again, withdraw)));
  });
  return [h('h2', null, t('invitationsTitle')), h('h3', null, t('inviteSomeone')), form,
    h('h3', null, t('pendingInvitations')),
    rows.length ? table(t('pendingInvitations'), [t('email'), t('role'), t('expires'), t('actionsCol')], rows, { class: 'grid' })
      : h('p', null, t('noInvitations'))];
}

async function render(ctx) {
  const prod = await loadProduction(ctx);
  if (!prod) return;
  const base = apiBase(prod.id);
  const canWrite = scope(prod, 'member', 'write') === 'all';
  const note = statusLine();
  const draw = async (message) => {
    let members;
    let departments;
    let invitations = [];
    try {
      [members, departments] = await Promise.all([
        get(`${base}/members`).then((x) => x.members),
        get(`${base}/departments`).then((x) => x.departments),
      ]);
      if (canWrite) invitations = (await get(`${base}/invitations`)).invitations;
    } catch (err) {
      note.say(problemText(err), 'error');
      frame(prod, t('membersTitle'), note);
      return;
    }
    note.say(message || ''); // with the page it speaks of, not before its data came
    const rows = members.map((m) => memberRow(prod, m, departments, canWrite, draw, note));
    frame(prod, t('membersTitle'), note,
      h('h2', null, t('membersList')),
      table(t('membersList'), [t('name'), t('role'), t('department'), t('status'), ...(canWrite ? [t('actionsCol')] : [])], rows, { class: 'grid members' }),
      canWrite ? invitationsPart(prod, invitations, departments, draw, note) : null,
      departmentsPart(prod, departments, canWrite, draw, note));
  };
  await draw(ctx.message);
  ctx.message = null;
}

export { render };
