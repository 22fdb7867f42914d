import { errorText, issueToken, type Credentials } from '../api.js';
import { h, notice, replace } from '../dom.js';
import { chooseOrg, orgChoice, type PageLife } from '../state.js';

const SCOPES = [
  'ZohoCRM.bulk.ALL',
  'ZohoCRM.bulk.CREATE',
  'ZohoCRM.bulk.READ',
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.ALL',
  'ZohoCRM.org.ALL',
  'ZohoCRM.users.ALL',
  'ZohoFiles.files.ALL',
];
const DEFAULT = new Set(['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL', 'ZohoCRM.settings.ALL', 'ZohoFiles.files.ALL']);

function snippetBlock(id: string, title: string, text: string): HTMLElement {
  const pre = h('pre', { id, tabindex: '0', 'aria-label': title }, text);
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy');
  copy.addEventListener('click', () => {
    navigator.clipboard?.writeText(text).then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Select and copy by hand'),
    );
  });
  return h('section', { 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), copy, pre);
}

/** Where an SDK or the CLI connects, a fresh token with chosen scopes, and snippets to paste. */
export async function connectPage(main: HTMLElement, _life: PageLife): Promise<void> {
  const choice = await orgChoice(main, 'Connect', 'con-org');
  if (choice === null) return;
  const orgSel = choice.select;
  const boxes = SCOPES.map((s) =>
    h('input', { type: 'checkbox', id: `scope-${s}`, value: s, checked: DEFAULT.has(s) }),
  );
  const out = h('div', { id: 'con-out', 'aria-live': 'polite' });
  const form = h(
    'form',
    {},
    h('div', { class: 'field' }, h('label', { for: 'con-org' }, 'Org'), orgSel),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Scopes'),
      boxes.map((b) => h('div', {}, b, ' ', h('label', { for: b.id }, b.value))),
    ),
    h('button', { type: 'submit', id: 'con-token' }, 'Make a fresh token'),
  );
  const origin = location.origin;
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'API domain'),
    h('dd', { id: 'con-api-domain' }, origin),
    h('dt', {}, 'Accounts URL'),
    h('dd', { id: 'con-accounts' }, origin),
  );
  replace(
    main,
    h('h1', {}, 'Connect'),
    h('section', { class: 'card', 'aria-label': 'Where to connect' }, facts),
    h(
      'p',
      {},
      'A token made here is shown once, in this tab only. It is a real token of the org: keep it like a password.',
    ),
    form,
    out,
  );
  orgSel.addEventListener('change', () => chooseOrg(orgSel.value));
  const show = (c: Credentials) => {
    facts.querySelector('#con-api-domain')!.textContent = c.api_domain;
    facts.querySelector('#con-accounts')!.textContent = c.accounts_url;
    const curl = `curl -s ${c.api_domain}/crm/bulk/v8/write/JOB_ID \\\n  -H "Authorization: Zoho-oauthtoken ${c.access_token}"`;
    const sdk = `// npm install @zohocrm/nodejs-sdk-2.0   (Zoho's official Node SDK, unmodified)
const { InitializeBuilder } = require("@zohocrm/nodejs-sdk-2.0/routes/initialize_builder");
const { OAuthBuilder } = require("@zohocrm/nodejs-sdk-2.0/models/authenticator/oauth_builder");
const { UserSignature } = require("@zohocrm/nodejs-sdk-2.0/routes/user_signature");
const { DataCenter } = require("@zohocrm/nodejs-sdk-2.0/routes/dc/data_center");
const { FileStore } = require("@zohocrm/nodejs-sdk-2.0/models/authenticator/store/file_store");

// This server in place of a Zoho data centre: API URL, accounts (token) URL, upload URL.
const environment = DataCenter.setEnvironment("${c.api_domain}", "${c.token_url}", "${c.api_domain}", "bulkwrite");
const token = new OAuthBuilder()
  .clientId("${c.client_id}")
  .clientSecret("${c.client_secret}")
  .refreshToken("${c.refresh_token}")
  .build();
await (await new InitializeBuilder())
  .user(new UserSignature("you@example.com"))
  .environment(environment)
  .token(token)
  .store(new FileStore("./zoho-tokens.txt"))
  .initialize();`;
    const cli = `export BULKWRITE_API_DOMAIN=${c.api_domain}
export BULKWRITE_ACCOUNTS_URL=${c.accounts_url}
export BULKWRITE_ORG=${c.org_id}
export BULKWRITE_CLIENT_ID=${c.client_id}
export BULKWRITE_CLIENT_SECRET=${c.client_secret}
export BULKWRITE_REFRESH_TOKEN=${c.refresh_token}
npx bulkwrite import leads.csv --module Leads --operation insert`;
    replace(
      out,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'con-fresh-h' },
        h('h2', { id: 'con-fresh-h' }, 'Your fresh token'),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Access token'),
          h('dd', { id: 'con-access-token' }, c.access_token),
          h('dt', {}, 'Expires in'),
          h('dd', {}, `${c.expires_in} s`),
          h('dt', {}, 'Refresh token'),
          h('dd', {}, c.refresh_token),
          h('dt', {}, 'Client id'),
          h('dd', {}, c.client_id),
          h('dt', {}, 'Scopes'),
          h('dd', {}, c.scopes.join(', ')),
        ),
      ),
      snippetBlock('snip-curl', 'curl', curl),
      snippetBlock('snip-sdk', 'Official Node SDK', sdk),
      snippetBlock('snip-cli', 'bulkwrite CLI', cli),
    );
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const scopes = boxes.filter((b) => b.checked).map((b) => b.value);
    if (scopes.length === 0) {
      replace(out, notice('error', 'Choose at least one scope.'));
      return;
    }
    issueToken(orgSel.value, scopes).then(show, (e: unknown) =>
      replace(out, notice('error', `No token: ${errorText(e)}`)),
    );
  });
}
