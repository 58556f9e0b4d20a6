"""Token authentication: `Authorization: Bearer <token>`. A valid token makes the call as
its member for its organisation (request.auth is the ApiToken); anything else is 401."""

from ninja.security import HttpBearer

from marketplace.selectors.api_tokens import api_token_for_key
from marketplace.services.api_tokens import api_token_touch


class TokenAuth(HttpBearer):
    """A live token of a member who still belongs to the token's organisation."""

    def authenticate(self, request, token):
        api_token = api_token_for_key(token)
        if api_token is None:
            return None
        api_token_touch(token=api_token)
        return api_token


token_auth = TokenAuth()
