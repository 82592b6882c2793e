// A real OpenID Connect provider for the hall's single sign-on test (tests/plugins/test_hall_sso.py).
// Environment: PORT, REDIRECT_URI, CLIENT_ID, CLIENT_SECRET, ACCOUNTS (JSON: login -> claims).
// The provider's development login and consent screens stand in for the province's pages:
// any login name that is a key of ACCOUNTS signs in as that account.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    profile: ['name', 'id_number', 'id_number_verified', 'phone_number', 'phone_number_verified'],
  },
  async findAccount(ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  cookies: { keys: ['onewindow-test-only'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
