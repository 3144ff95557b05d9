"""What the test provider says about its users: a user in the group "unverified" has email_verified false."""


def userinfo(claims: dict, user) -> dict:
    claims["email"] = user.email
    claims["email_verified"] = not user.groups.filter(name="unverified").exists()
    claims["name"] = user.get_full_name() or user.username
    claims["preferred_username"] = user.username
    return claims
