"""REST representations of servers, policies, rules, bypass rules, IPsec
policies and access requirements.

Writes go through policies.services, so the API applies the same checks as the
forms (the models' ``clean``) and leaves the same history. A Django
ValidationError from a service comes back as a 400 naming the field.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from policies import services
from policies.models import (
    AccessRequirement,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    FirewallRule,
    FirewallState,
    IPsecPolicy,
    Policy,
    Profile,
    Server,
)
from policies.validators import (
    PREFIX_LENGTH_RE,
    validate_plain_text,
    validate_sid,
)


def api_errors(error, renames=None):
    """Turn a Django ValidationError into a DRF one with the API's field names."""
    renames = renames or {}
    if not hasattr(error, "error_dict"):
        return serializers.ValidationError({"non_field_errors": error.messages})
    detail = {}
    for field, messages in error.message_dict.items():
        name = "non_field_errors" if field == NON_FIELD_ERRORS else field
        name = renames.get(field, name)
        detail.setdefault(name, []).extend(messages)
    return serializers.ValidationError(detail)


STATE_RENAMES = {f"state_{profile}": "firewall_state" for profile in Profile.values}


class FirewallStateField(serializers.DictField):
    """Firewall state per profile: {"domain": "on", "public": "off"}."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.ChoiceField(choices=FirewallState.choices), **kwargs
        )

    def to_internal_value(self, data):
        states = super().to_internal_value(data)
        unknown = sorted(set(states) - set(Profile.values))
        if unknown:
            known = ", ".join(Profile.values)
            raise serializers.ValidationError(
                f"Unknown profile {', '.join(unknown)}; use {known}."
            )
        return {
            f"state_{profile}": states.get(profile, "") for profile in Profile.values
        }


def states_of(policy):
    if policy is None:
        return {}
    return {
        profile: policy.state_for(profile)
        for profile in Profile.values
        if policy.state_for(profile)
    }


class PrincipalSerializer(serializers.Serializer):
    sid = serializers.CharField(max_length=100, validators=[validate_sid])
    name = serializers.CharField(
        max_length=512,
        allow_blank=True,
        required=False,
        default="",
        validators=[validate_plain_text],
    )


class BypassEntrySerializer(PrincipalSerializer):
    role = serializers.ChoiceField(
        choices=BypassEntry.Role.choices, default=BypassEntry.Role.MACHINE
    )
    deny = serializers.BooleanField(default=False)


class AuthorizationEntrySerializer(PrincipalSerializer):
    list_kind = serializers.ChoiceField(choices=AuthorizationEntry.ListKind.choices)
    deny = serializers.BooleanField(default=False)


class IntegerPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A link by id that takes only whole numbers.

    DRF's own passes the value to the database lookup, which reads 1.5 as
    id 1: a client that sent the wrong number would be linked to another
    object without a word.
    """

    def to_internal_value(self, data):
        # str.isdigit() and int() would also take digits of other scripts.
        if isinstance(data, float) or (
            isinstance(data, str) and not (data.isascii() and data.isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ServiceSerializerMixin:
    """create/update through a service; map its errors onto fields.

    A key the serializer does not know is refused rather than dropped, so a
    misspelt field ("prots") is a 400 instead of a 200 that changed nothing.
    """

    renames = {}
    serializer_related_field = IntegerPrimaryKeyRelatedField

    def get_validators(self):
        # DRF's own check of a unique (policy, name) pair answers on no field;
        # the model's, run by the service, names the name field.
        return []

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Unknown field."] for key in unknown}
                )
        return super().to_internal_value(data)

    def create(self, validated_data):
        return self._write(None, validated_data)

    def update(self, instance, validated_data):
        return self._write(instance, validated_data)

    def _write(self, instance, data):
        try:
            return self.write(instance, data)
        except DjangoValidationError as error:
            raise api_errors(error, self.renames) from None


def _assign(instance, model, data):
    instance = instance or model()
    for name, value in data.items():
        setattr(instance, name, value)
    return instance


class ServerSerializer(ServiceSerializerMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:server-detail")
    addresses = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        write_only=True,
        help_text="Addresses with prefix length, e.g. 10.20.1.10/24.",
    )
    firewall_state = FirewallStateField(
        required=False,
        write_only=True,
        help_text="The server's local firewall state per profile.",
    )
    local_policy = serializers.PrimaryKeyRelatedField(read_only=True)
    policies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    renames = {**STATE_RENAMES, "address": "addresses"}

    class Meta:
        model = Server
        fields = [
            "id",
            "url",
            "name",
            "fqdn",
            "era",
            "active_profile",
            "computer",
            "owner",
            "notes",
            "addresses",
            "firewall_state",
            "local_policy",
            "policies",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["addresses"] = [str(item) for item in instance.addresses.all()]
        data["firewall_state"] = states_of(getattr(instance, "local_policy", None))
        return data

    def validate_addresses(self, values):
        pairs = []
        for value in values:
            address, slash, prefix = value.partition("/")
            if not slash or not PREFIX_LENGTH_RE.fullmatch(prefix):
                raise serializers.ValidationError(
                    f"{value!r} needs a prefix length, e.g. 10.20.1.10/24."
                )
            pairs.append((address, int(prefix)))
        return pairs

    def write(self, instance, data):
        addresses = data.pop("addresses", None)
        states = data.pop("firewall_state", None)
        if instance is None:
            return services.create_server(
                states=states, addresses=addresses or (), **data
            )
        server = services.update_server(server=instance, states=states, **data)
        if addresses is not None:
            services.set_server_addresses(server=server, addresses=addresses)
        return server


class PolicySerializer(ServiceSerializerMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:policy-detail")
    firewall_state = FirewallStateField(required=False, write_only=True)
    servers = IntegerPrimaryKeyRelatedField(
        many=True, queryset=Server.objects.all(), required=False
    )
    authorization = AuthorizationEntrySerializer(
        many=True,
        required=False,
        source="authorization_entries",
        help_text="Later era: the global IPsec authorization lists.",
    )
    renames = STATE_RENAMES

    class Meta:
        model = Policy
        fields = [
            "id",
            "url",
            "name",
            "era",
            "precedence",
            "description",
            "servers",
            "firewall_state",
            "authorization",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["firewall_state"] = states_of(instance)
        return data

    def write(self, instance, data):
        states = data.pop("firewall_state", None) or {}
        servers = data.pop("servers", None)
        authorization = data.pop("authorization_entries", None)
        policy = _assign(instance, Policy, {**data, **states})
        return services.save_policy(
            policy=policy, servers=servers, authorization=authorization
        )


class FirewallRuleSerializer(ServiceSerializerMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:firewallrule-detail")

    class Meta:
        model = FirewallRule
        fields = [
            "id",
            "url",
            "policy",
            "name",
            "kind",
            "action",
            "protocol",
            "ports",
            "program_path",
            "icmp_type",
            "predefined_group",
            "scope",
            "profiles",
            "enabled",
            "description",
        ]

    def write(self, instance, data):
        return services.save_object(obj=_assign(instance, FirewallRule, data))


class BypassRuleSerializer(ServiceSerializerMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:bypassrule-detail")
    entries = BypassEntrySerializer(
        many=True,
        required=False,
        help_text="Authorized computers and users; deny entries are exceptions.",
    )
    renames = {NON_FIELD_ERRORS: "entries"}

    class Meta:
        model = BypassRule
        fields = [
            "id",
            "url",
            "policy",
            "name",
            "protocol",
            "ports",
            "security",
            "enabled",
            "description",
            "entries",
        ]

    def write(self, instance, data):
        entries = data.pop("entries", None)
        rule = _assign(instance, BypassRule, data)
        return services.save_bypass_rule(rule=rule, entries=entries)


class IPsecPolicySerializer(ServiceSerializerMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:ipsecpolicy-detail")
    servers = IntegerPrimaryKeyRelatedField(
        many=True, queryset=Server.objects.all(), required=False
    )
    clients = PrincipalSerializer(many=True, required=False)

    class Meta:
        model = IPsecPolicy
        fields = [
            "id",
            "url",
            "name",
            "description",
            "enabled",
            "servers",
            "clients",
            "client_addresses",
            "authentication",
            "protection",
            "server_mode",
            "user_authentication",
        ]

    def write(self, instance, data):
        clients = data.pop("clients", None)
        servers = data.pop("servers", None)
        policy = _assign(instance, IPsecPolicy, data)
        return services.save_ipsec_policy(
            policy=policy, clients=clients, servers=servers
        )


class AccessRequirementSerializer(ServiceSerializerMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:accessrequirement-detail")
    groups = PrincipalSerializer(many=True, required=False)

    class Meta:
        model = AccessRequirement
        fields = [
            "id",
            "url",
            "server",
            "name",
            "protocol",
            "ports",
            "description",
            "groups",
        ]

    def write(self, instance, data):
        groups = data.pop("groups", None)
        requirement = _assign(instance, AccessRequirement, data)
        return services.save_access_requirement(requirement=requirement, groups=groups)
