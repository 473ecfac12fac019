"""API shapes for users, workspaces, members and tokens; a strict base for request bodies."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from designer.workspaces.models import ApiToken, Membership, Role, Workspace

# JSON types a field of a JSON body must arrive as (DRF would coerce 0 to "0" or "1" to True)
JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str, int), "one of the choices"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.ListField, (list,), "an array"),
)


def json_type_problem(field: serializers.Field, value: Any) -> str | None:
    """Why a JSON value cannot be `field`'s (a string for a number, 0 for a string), or None."""
    if value is None:
        return None  # the field's own allow_null check answers
    for kind, types, name in JSON_TYPES:
        if isinstance(field, kind):
            wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
            return f"Expected {name}, got {type(value).__name__}." if wrong else None
    return None


def untrimmed_length_problem(field: serializers.Field, value: Any) -> str | None:
    """Why text is too long as sent (DRF counts only after trimming spaces; the schema's
    maxLength counts what is sent), or None."""
    limit = getattr(field, "max_length", None) if isinstance(field, serializers.CharField) else None
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return None
    return f"Ensure this field has no more than {limit} characters."


class JSONValueField(serializers.JSONField):
    """A JSON value whose schema (its `extend_schema_field`) says which values it takes, null
    among them: null is taken without `allow_null`, which would add a `nullable` beside the
    schema's `oneOf` (ignored there in OpenAPI 3.0)."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            return True, None
        validated: tuple[bool, Any] = super().validate_empty_values(data)
        return validated


# null, text, a number or true/false ("nullable" counts only beside a "type" in OpenAPI 3.0)
@extend_schema_field(
    {"oneOf": [{"type": "string", "nullable": True}, {"type": "number"}, {"type": "boolean"}]}
)
class ScalarField(JSONValueField):
    """A pipeline parameter's value: text, a number, true/false or null (never a list or an
    object)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, (dict, list)):
            raise serializers.ValidationError("Expected text, a number, true/false or null.")
        return super().to_internal_value(data)


def named(noun: str, listed_in: str) -> dict[str, str]:
    """The errors of a name a secret must be given (a key, a token): what it is for, to tell it
    apart in its list, where every secret shows only a prefix."""
    told = f"Name the {noun}, to tell it apart in the {listed_in}."
    return {"required": told, "blank": told}


class StrictSerializer(serializers.Serializer):
    """A request body that names every unknown field and every value of the wrong JSON type,
    instead of dropping or coercing it."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors: dict[str, Any] = {
            name: [f"Unknown field; expected one of {sorted(self.fields)}."] for name in unknown
        }
        if isinstance(data, dict):
            json_body = not isinstance(data, QueryDict)
            for name, field in self.fields.items():
                sent = data.get(name)
                problem = (json_type_problem(field, sent) if json_body else None) or (
                    untrimmed_length_problem(field, sent)
                )
                if problem is not None:
                    errors[name] = [problem]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return value


class UserSerializer(serializers.ModelSerializer):
    """A user as other members see them: no e-mail address (only its owner sees it, in /me/)."""

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name"]


class WorkspaceSerializer(serializers.ModelSerializer):
    """A workspace with the caller's role in it."""

    role = serializers.SerializerMethodField()

    class Meta:
        model = Workspace
        fields = ["id", "name", "created_at", "role"]

    def get_role(self, workspace: Workspace) -> str | None:
        roles: dict[int, str] = self.context.get("roles", {})
        return roles.get(workspace.pk)


class WorkspaceWriteSerializer(StrictSerializer):
    """Body of creating or renaming a workspace."""

    name = serializers.CharField(max_length=200)


class MembershipSerializer(serializers.ModelSerializer):
    """A member of a workspace and their role."""

    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]


class WorkspaceRefSerializer(serializers.Serializer):
    """A workspace, named."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class MeMembershipSerializer(serializers.ModelSerializer):
    """One of the caller's memberships."""

    workspace = WorkspaceRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["workspace", "role"]


class MeSerializer(UserSerializer):
    """The signed-in user (with their e-mail address) and their memberships."""

    memberships = MeMembershipSerializer(many=True, read_only=True)

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "email", "memberships"]


class MeUpdateSerializer(StrictSerializer):
    """Body of changing the signed-in user's own account: their e-mail address."""

    email = serializers.EmailField(
        max_length=254,
        allow_blank=True,
        help_text="Where run notices of the pipelines you watch go, and the address owners can "
        "invite you by. A new address is set once the link mailed to it is opened (blank clears "
        "it at once); an address another account has is refused.",
    )


class MeUpdatedSerializer(MeSerializer):
    """The signed-in user after a change, and where a confirmation link went."""

    confirmation_sent_to = serializers.EmailField(
        read_only=True,
        allow_blank=True,
        help_text="The new address a confirmation link was mailed to; `email` stays as it was "
        "until the link is opened. Blank: nothing to confirm.",
    )

    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "confirmation_sent_to"]


class SignedOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """How many sessions in the caller's other browsers were signed out."""

    signed_out = serializers.IntegerField()


class InviteSerializer(StrictSerializer):
    """Body of inviting a user (by username or email) into a workspace."""

    user = serializers.CharField(
        max_length=254,
        help_text="An e-mail address (an account with it is added; to any other address an "
        "invitation is mailed, when the server sends mail), or the username of someone you "
        "already share a workspace with.",
    )
    role = serializers.ChoiceField(choices=Role.choices)


class RoleSerializer(StrictSerializer):
    """Body of changing a member's role."""

    role = serializers.ChoiceField(choices=Role.choices)


class TokenSerializer(serializers.ModelSerializer):
    """An API token as listed (never the raw token)."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class TokenCreateSerializer(StrictSerializer):
    """Body of creating a token."""

    name = serializers.CharField(max_length=200, error_messages=named("token", "tokens list"))


class NewTokenSerializer(TokenSerializer):
    """A freshly created token: the only response that carries the raw token."""

    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
