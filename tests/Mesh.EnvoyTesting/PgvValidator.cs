using System.Collections;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Validate;

namespace Mesh.EnvoyTesting;

/// <summary>
/// Checks a message against the protoc-gen-validate rules its .proto files carry (<c>(validate.rules)</c> on
/// fields, <c>(validate.required)</c> on oneofs, <c>(validate.disabled)</c> on messages), read from the compiled
/// descriptors. It walks every set field and every <c>Any</c> it can unpack, as Envoy's generated validators do.
/// Also reports deprecated fields that are set, since Envoy rejects or warns about those.
/// </summary>
public static class PgvValidator
{
    /// <summary>
    /// Deprecated fields the translator sets deliberately, only on proxyless routes, for gRPC C-core 1.51 (Debian's
    /// python3-grpcio): <c>total_weight</c>, which it defaults to 100, rejecting any other sum of weights; and the header
    /// matchers string_match replaced, since it rejects a route configuration holding a string_match.
    /// </summary>
    private static readonly HashSet<string> DeprecatedOnPurpose =
    [
        "envoy.config.route.v3.WeightedCluster.total_weight",
        "envoy.config.route.v3.HeaderMatcher.exact_match",
        "envoy.config.route.v3.HeaderMatcher.prefix_match",
        "envoy.config.route.v3.HeaderMatcher.suffix_match",
        "envoy.config.route.v3.HeaderMatcher.safe_regex_match",
    ];

    public static IReadOnlyList<string> Validate(IMessage message, TypeRegistry registry)
    {
        var errors = new List<string>();
        Walk(message, message.Descriptor.FullName, registry, errors);
        return errors;
    }

    private static void Walk(IMessage message, string path, TypeRegistry registry, List<string> errors)
    {
        var descriptor = message.Descriptor;
        var options = descriptor.GetOptions();
        if (options is not null && (options.GetExtension(ValidateExtensions.Disabled)))
        {
            return;
        }

        if (message is Any any)
        {
            var type = registry.Find(Any.GetTypeName(any.TypeUrl));
            if (type is null)
            {
                errors.Add($"{path}: cannot unpack Any of type {any.TypeUrl}");
                return;
            }

            Walk(type.Parser.ParseFrom(any.Value), $"{path}<{type.FullName}>", registry, errors);
            return;
        }

        foreach (var oneof in descriptor.Oneofs.Where(o => !o.IsSynthetic))
        {
            if (oneof.GetOptions()?.GetExtension(ValidateExtensions.Required) == true && oneof.Accessor.GetCaseFieldDescriptor(message) is null)
            {
                errors.Add($"{path}: one of {oneof.Name} is required");
            }
        }

        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            var fieldPath = $"{path}.{field.Name}";
            if (field.RealContainingOneof is { } owner && owner.Accessor.GetCaseFieldDescriptor(message)?.FieldNumber != field.FieldNumber)
            {
                continue; // PGV checks a oneof member only when it is the chosen one.
            }

            var value = field.Accessor.GetValue(message);
            var isSet = IsSet(field, message, value);
            if (isSet && field.GetOptions()?.Deprecated == true && !DeprecatedOnPurpose.Contains(field.FullName))
            {
                errors.Add($"{fieldPath}: deprecated field is set");
            }

            var rules = field.GetOptions()?.GetExtension(ValidateExtensions.Rules);
            if (rules is not null)
            {
                CheckField(field, value, isSet, rules, fieldPath, errors);
            }

            if (!isSet || field.FieldType != FieldType.Message || rules?.Message?.Skip == true)
            {
                continue;
            }

            if (field.IsMap)
            {
                foreach (DictionaryEntry entry in (IDictionary)value!)
                {
                    if (entry.Value is IMessage m)
                    {
                        Walk(m, $"{fieldPath}[{entry.Key}]", registry, errors);
                    }
                }
            }
            else if (field.IsRepeated)
            {
                var i = 0;
                foreach (var item in (IList)value!)
                {
                    if (item is IMessage m)
                    {
                        Walk(m, $"{fieldPath}[{i}]", registry, errors);
                    }

                    i++;
                }
            }
            else if (value is IMessage m)
            {
                Walk(m, fieldPath, registry, errors);
            }
        }
    }

    private static bool IsSet(FieldDescriptor field, IMessage message, object? value)
    {
        if (field.IsMap || field.IsRepeated)
        {
            return ((ICollection)value!).Count > 0;
        }

        if (field.HasPresence)
        {
            return field.Accessor.HasValue(message);
        }

        return value switch
        {
            null => false,
            string s => s.Length > 0,
            ByteString b => b.Length > 0,
            bool b => b,
            System.Enum e => Convert.ToInt64(e) != 0,
            _ => Convert.ToDouble(value) != 0,
        };
    }

    private static void CheckField(FieldDescriptor field, object? value, bool isSet, FieldRules rules, string path, List<string> errors)
    {
        if (field.IsMap)
        {
            var map = (IDictionary)value!;
            if (rules.Map is { } mapRules)
            {
                if (mapRules.HasMinPairs && (ulong)map.Count < mapRules.MinPairs)
                {
                    errors.Add($"{path}: needs at least {mapRules.MinPairs} pairs");
                }

                if (mapRules.HasMaxPairs && (ulong)map.Count > mapRules.MaxPairs)
                {
                    errors.Add($"{path}: allows at most {mapRules.MaxPairs} pairs");
                }

                foreach (DictionaryEntry entry in map)
                {
                    if (mapRules.Keys is { } keyRules)
                    {
                        CheckSingle(field.MessageType.FindFieldByNumber(1), entry.Key, true, keyRules, $"{path}[{entry.Key}](key)", errors);
                    }

                    if (mapRules.Values is { } valueRules)
                    {
                        CheckSingle(field.MessageType.FindFieldByNumber(2), entry.Value, true, valueRules, $"{path}[{entry.Key}]", errors);
                    }
                }
            }

            return;
        }

        if (field.IsRepeated)
        {
            var list = (IList)value!;
            if (rules.Repeated is { } repeated)
            {
                if (repeated.HasMinItems && (ulong)list.Count < repeated.MinItems)
                {
                    errors.Add($"{path}: needs at least {repeated.MinItems} items, has {list.Count}");
                }

                if (repeated.HasMaxItems && (ulong)list.Count > repeated.MaxItems)
                {
                    errors.Add($"{path}: allows at most {repeated.MaxItems} items, has {list.Count}");
                }

                if (repeated.Unique && list.Cast<object>().Distinct().Count() != list.Count)
                {
                    errors.Add($"{path}: items must be unique");
                }

                if (repeated.Items is { } items)
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        CheckSingle(field, list[i], true, items, $"{path}[{i}]", errors);
                    }
                }
            }

            return;
        }

        CheckSingle(field, value, isSet, rules, path, errors);
    }

    private static void CheckSingle(FieldDescriptor field, object? value, bool isSet, FieldRules rules, string path, List<string> errors)
    {
        if (rules.Message?.Required == true && !isSet)
        {
            errors.Add($"{path}: is required");
        }

        switch (rules.TypeCase)
        {
            case FieldRules.TypeOneofCase.String:
                // A string wrapper (StringValue) that is not set is not checked.
                if (value is string s)
                {
                    CheckString(s, rules.String, path, errors);
                }

                break;
            case FieldRules.TypeOneofCase.Bytes:
                if (value is ByteString b && rules.Bytes.HasMinLen && (ulong)b.Length < rules.Bytes.MinLen)
                {
                    errors.Add($"{path}: needs at least {rules.Bytes.MinLen} bytes");
                }

                break;
            case FieldRules.TypeOneofCase.Bool:
                if (value is bool flag && rules.Bool.HasConst && flag != rules.Bool.Const)
                {
                    errors.Add($"{path}: must be {rules.Bool.Const}");
                }

                break;
            case FieldRules.TypeOneofCase.Enum:
                CheckEnum(field, value, rules.Enum, path, errors);
                break;
            case FieldRules.TypeOneofCase.Any:
                if (rules.Any.Required && !isSet)
                {
                    errors.Add($"{path}: is required");
                }

                if (value is Any any && isSet)
                {
                    if (rules.Any.In.Count > 0 && !rules.Any.In.Contains(any.TypeUrl))
                    {
                        errors.Add($"{path}: type {any.TypeUrl} is not allowed");
                    }

                    if (rules.Any.NotIn.Contains(any.TypeUrl))
                    {
                        errors.Add($"{path}: type {any.TypeUrl} is not allowed");
                    }
                }

                break;
            case FieldRules.TypeOneofCase.Duration:
                if (rules.Duration.Required && !isSet)
                {
                    errors.Add($"{path}: is required");
                }

                if (value is Google.Protobuf.WellKnownTypes.Duration duration)
                {
                    CheckNumber(rules.Duration, Nanos(duration), path, errors);
                }

                break;
            case FieldRules.TypeOneofCase.Timestamp:
                if (rules.Timestamp.Required && !isSet)
                {
                    errors.Add($"{path}: is required");
                }

                break;
            case FieldRules.TypeOneofCase.None:
                break;
            default:
                // Numeric rules (float, double, [s|u|sfixed|fixed]int32/64), on scalars or on wrapper messages.
                var numericRules = (IMessage)FieldRules.Descriptor.FindFieldByNumber((int)rules.TypeCase).Accessor.GetValue(rules);
                if (value is IMessage wrapper && wrapper.Descriptor.FindFieldByName("value") is { } inner)
                {
                    value = inner.Accessor.GetValue(wrapper);
                }

                if (value is null)
                {
                    break;
                }

                if (Has(numericRules, "ignore_empty") && (bool)Get(numericRules, "ignore_empty")! && Convert.ToDecimal(value) == 0)
                {
                    break;
                }

                CheckNumber(numericRules, Convert.ToDecimal(value), path, errors);
                break;
        }
    }

    private static decimal Nanos(Google.Protobuf.WellKnownTypes.Duration d) => (d.Seconds * 1_000_000_000m) + d.Nanos;

    private static bool Has(IMessage rules, string name) =>
        rules.Descriptor.FindFieldByName(name) is { } f && f.Accessor.HasValue(rules);

    private static object? Get(IMessage rules, string name) => rules.Descriptor.FindFieldByName(name)?.Accessor.GetValue(rules);

    private static decimal ToNumber(object value) => value switch
    {
        Google.Protobuf.WellKnownTypes.Duration d => Nanos(d),
        _ => Convert.ToDecimal(value),
    };

    /// <summary>PGV numeric semantics, including exclusive ranges (lt &lt; gt means "outside").</summary>
    private static void CheckNumber(IMessage rules, decimal value, string path, List<string> errors)
    {
        decimal? Bound(string name) => Has(rules, name) ? ToNumber(Get(rules, name)!) : null;
        if (Bound("const") is { } c && value != c)
        {
            errors.Add($"{path}: must equal {c}, is {value}");
        }

        var lt = Bound("lt");
        var lte = Bound("lte");
        var gt = Bound("gt");
        var gte = Bound("gte");
        var upper = lt ?? lte;
        var lower = gt ?? gte;
        bool BelowUpper() => lt is { } l ? value < l : value <= lte!.Value;
        bool AboveLower() => gt is { } g ? value > g : value >= gte!.Value;
        if (upper is { } u && lower is { } lo && u < lo)
        {
            if (!(BelowUpper() || AboveLower()))
            {
                errors.Add($"{path}: must be outside ({u}, {lo}), is {value}");
            }
        }
        else
        {
            if (upper is not null && !BelowUpper())
            {
                errors.Add($"{path}: must be {(lt is not null ? "<" : "<=")} {upper}, is {value}");
            }

            if (lower is not null && !AboveLower())
            {
                errors.Add($"{path}: must be {(gt is not null ? ">" : ">=")} {lower}, is {value}");
            }
        }

        if (Get(rules, "in") is IList { Count: > 0 } allowed && !allowed.Cast<object>().Select(ToNumber).Contains(value))
        {
            errors.Add($"{path}: {value} is not an allowed value");
        }

        if (Get(rules, "not_in") is IList { Count: > 0 } denied && denied.Cast<object>().Select(ToNumber).Contains(value))
        {
            errors.Add($"{path}: {value} is not allowed");
        }
    }

    private static void CheckEnum(FieldDescriptor field, object? value, EnumRules rules, string path, List<string> errors)
    {
        if (value is null)
        {
            return;
        }

        var number = Convert.ToInt32(value);
        if (rules.DefinedOnly && field.EnumType.FindValueByNumber(number) is null)
        {
            errors.Add($"{path}: {number} is not a defined {field.EnumType.FullName}");
        }

        if (rules.HasConst && number != rules.Const)
        {
            errors.Add($"{path}: must be {rules.Const}");
        }

        if (rules.In.Count > 0 && !rules.In.Contains(number))
        {
            errors.Add($"{path}: {number} is not allowed");
        }

        if (rules.NotIn.Contains(number))
        {
            errors.Add($"{path}: {number} is not allowed");
        }
    }

    private static void CheckString(string s, StringRules rules, string path, List<string> errors)
    {
        if (rules.IgnoreEmpty && s.Length == 0)
        {
            return;
        }

        var chars = (ulong)s.EnumerateRunes().Count();
        var bytes = (ulong)Encoding.UTF8.GetByteCount(s);
        void Fail(string why) => errors.Add($"{path}: {why} (value '{s}')");
        if (rules.HasConst && s != rules.Const) Fail($"must equal '{rules.Const}'");
        if (rules.HasLen && chars != rules.Len) Fail($"must be {rules.Len} characters");
        if (rules.HasMinLen && chars < rules.MinLen) Fail($"must be at least {rules.MinLen} characters");
        if (rules.HasMaxLen && chars > rules.MaxLen) Fail($"must be at most {rules.MaxLen} characters");
        if (rules.HasLenBytes && bytes != rules.LenBytes) Fail($"must be {rules.LenBytes} bytes");
        if (rules.HasMinBytes && bytes < rules.MinBytes) Fail($"must be at least {rules.MinBytes} bytes");
        if (rules.HasMaxBytes && bytes > rules.MaxBytes) Fail($"must be at most {rules.MaxBytes} bytes");
        if (rules.HasPattern && !Regex.IsMatch(s, rules.Pattern)) Fail($"must match /{rules.Pattern}/");
        if (rules.HasPrefix && !s.StartsWith(rules.Prefix, StringComparison.Ordinal)) Fail($"must start with '{rules.Prefix}'");
        if (rules.HasSuffix && !s.EndsWith(rules.Suffix, StringComparison.Ordinal)) Fail($"must end with '{rules.Suffix}'");
        if (rules.HasContains && !s.Contains(rules.Contains, StringComparison.Ordinal)) Fail($"must contain '{rules.Contains}'");
        if (rules.HasNotContains && s.Contains(rules.NotContains, StringComparison.Ordinal)) Fail($"must not contain '{rules.NotContains}'");
        if (rules.In.Count > 0 && !rules.In.Contains(s)) Fail("is not an allowed value");
        if (rules.NotIn.Contains(s)) Fail("is not allowed");

        switch (rules.WellKnownCase)
        {
            case StringRules.WellKnownOneofCase.Hostname when rules.Hostname && !IsHostname(s):
                Fail("must be a hostname");
                break;
            case StringRules.WellKnownOneofCase.Ip when rules.Ip && !IPAddress.TryParse(s, out _):
                Fail("must be an IP address");
                break;
            case StringRules.WellKnownOneofCase.Address when rules.Address && !IPAddress.TryParse(s, out _) && !IsHostname(s):
                Fail("must be an IP address or hostname");
                break;
            case StringRules.WellKnownOneofCase.Uri when rules.Uri && !Uri.TryCreate(s, UriKind.Absolute, out _):
                Fail("must be an absolute URI");
                break;
            case StringRules.WellKnownOneofCase.WellKnownRegex:
                var strict = !rules.HasStrict || rules.Strict;
                // Ended by \z, as RE2's '$' is: .NET's '$' also matches before a final newline.
                var pattern = rules.WellKnownRegex switch
                {
                    KnownRegex.HttpHeaderName => strict ? @"^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+\z" : @"^[^\u0000\u000A\u000D]*\z",
                    KnownRegex.HttpHeaderValue => strict ? @"^[^\u0000-\u0008\u000A-\u001F\u007F]*\z" : @"^[^\u0000\u000A\u000D]*\z",
                    _ => null,
                };
                if (pattern is not null && !Regex.IsMatch(s, pattern))
                {
                    Fail($"must be a valid {rules.WellKnownRegex}");
                }

                break;
        }
    }

    private static bool IsHostname(string s) =>
        s.Length is > 0 and <= 253
        && s.TrimEnd('.').Split('.').All(label => label.Length is > 0 and <= 63 && Regex.IsMatch(label, "^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$"));
}
