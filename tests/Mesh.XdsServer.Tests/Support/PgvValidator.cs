using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Validate;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Checks a message against the protoc-gen-validate rules carried in the Envoy protos (<c>validate.rules</c>,
/// <c>validate.required</c>), read at run time from the generated descriptors: the rules Envoy itself enforces
/// before it accepts a resource. It covers the rules our resources can meet (presence, lengths, numeric bounds,
/// defined enums, item counts, durations) and looks inside <c>Any</c> for every type in <paramref name="registry"/>.
/// </summary>
public sealed class PgvValidator(TypeRegistry registry)
{
    public IReadOnlyList<string> Validate(IMessage message)
    {
        var errors = new List<string>();
        Check(message, message.Descriptor.Name, errors);
        return errors;
    }

    private void Check(IMessage message, string path, List<string> errors)
    {
        if (message is Any any)
        {
            if (registry.Find(Any.GetTypeName(any.TypeUrl)) is { } descriptor)
            {
                Check(descriptor.Parser.ParseFrom(any.Value), $"{path}<{descriptor.Name}>", errors);
            }

            return;
        }

        foreach (var oneof in message.Descriptor.Oneofs.Where(o => !o.IsSynthetic))
        {
            if (oneof.GetOptions()?.GetExtension(ValidateExtensions.Required) == true && oneof.Accessor.GetCaseFieldDescriptor(message) is null)
            {
                errors.Add($"{path}: one of {oneof.Name} is required");
            }
        }

        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.RealContainingOneof is { } oneof && oneof.Accessor.GetCaseFieldDescriptor(message) != field)
            {
                continue; // PGV applies a oneof member's rules only when that member is the one set
            }

            var value = field.Accessor.GetValue(message);
            var where = $"{path}.{field.Name}";
            var rules = field.GetOptions()?.GetExtension(ValidateExtensions.Rules);
            if (rules is not null)
            {
                CheckRules(field, value, rules, where, errors);
            }

            if (field.FieldType != FieldType.Message)
            {
                continue;
            }

            if (field.IsMap)
            {
                foreach (var entry in ((System.Collections.IDictionary)value).Values.OfType<IMessage>())
                {
                    Check(entry, where, errors);
                }
            }
            else if (field.IsRepeated)
            {
                var i = 0;
                foreach (var item in ((System.Collections.IList)value).OfType<IMessage>())
                {
                    Check(item, $"{where}[{i++}]", errors);
                }
            }
            else if (value is IMessage nested)
            {
                Check(nested, where, errors);
            }
        }
    }

    private static void CheckRules(FieldDescriptor field, object? value, FieldRules rules, string where, List<string> errors)
    {
        if (rules.Message?.Required == true && value is null)
        {
            errors.Add($"{where}: is required");
        }

        var present = field.IsRepeated || field.HasPresence ? value is not null : !IsDefault(value);
        switch (rules.TypeCase)
        {
            case FieldRules.TypeOneofCase.String when value is string s:
                if (rules.String.HasMinLen && (ulong)s.Length < rules.String.MinLen)
                {
                    errors.Add($"{where}: length must be at least {rules.String.MinLen}");
                }

                if (rules.String.HasMaxLen && (ulong)s.Length > rules.String.MaxLen)
                {
                    errors.Add($"{where}: length must be at most {rules.String.MaxLen}");
                }

                if (rules.String.HasMinBytes && (ulong)System.Text.Encoding.UTF8.GetByteCount(s) < rules.String.MinBytes)
                {
                    errors.Add($"{where}: must have at least {rules.String.MinBytes} bytes");
                }

                if (rules.String.HasPrefix && !s.StartsWith(rules.String.Prefix, StringComparison.Ordinal))
                {
                    errors.Add($"{where}: must start with {rules.String.Prefix}");
                }

                break;
            case FieldRules.TypeOneofCase.Enum when rules.Enum.DefinedOnly && value is not null:
                if (field.EnumType.FindValueByNumber(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)) is null)
                {
                    errors.Add($"{where}: {value} is not a defined value");
                }

                break;
            case FieldRules.TypeOneofCase.Repeated when value is System.Collections.IList list:
                if (rules.Repeated.HasMinItems && (ulong)list.Count < rules.Repeated.MinItems)
                {
                    errors.Add($"{where}: needs at least {rules.Repeated.MinItems} items");
                }

                if (rules.Repeated.HasMaxItems && (ulong)list.Count > rules.Repeated.MaxItems)
                {
                    errors.Add($"{where}: allows at most {rules.Repeated.MaxItems} items");
                }

                if (rules.Repeated.Items is { } items)
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        CheckRules(field, list[i], items, $"{where}[{i}]", errors);
                    }
                }

                break;
            case FieldRules.TypeOneofCase.Map when value is System.Collections.IDictionary map:
                if (rules.Map.HasMinPairs && (ulong)map.Count < rules.Map.MinPairs)
                {
                    errors.Add($"{where}: needs at least {rules.Map.MinPairs} entries");
                }

                break;
            case FieldRules.TypeOneofCase.Any:
                if (rules.Any.Required && value is null)
                {
                    errors.Add($"{where}: is required");
                }

                break;
            case FieldRules.TypeOneofCase.Duration:
                if (rules.Duration.Required && value is null)
                {
                    errors.Add($"{where}: is required");
                }

                if (value is Duration d)
                {
                    Bound(where, d.ToTimeSpan().TotalSeconds, rules.Duration.Gt?.ToTimeSpan().TotalSeconds, rules.Duration.Gte?.ToTimeSpan().TotalSeconds, rules.Duration.Lt?.ToTimeSpan().TotalSeconds, rules.Duration.Lte?.ToTimeSpan().TotalSeconds, errors);
                }

                break;
            case FieldRules.TypeOneofCase.Uint32 or FieldRules.TypeOneofCase.Uint64 or FieldRules.TypeOneofCase.Int32
                or FieldRules.TypeOneofCase.Int64 or FieldRules.TypeOneofCase.Double or FieldRules.TypeOneofCase.Float:
                if (present && Numeric(value) is { } number)
                {
                    var numeric = (IMessage)FieldRules.Descriptor.FindFieldByNumber((int)rules.TypeCase).Accessor.GetValue(rules);
                    Bound(where, number, Rule(numeric, "gt"), Rule(numeric, "gte"), Rule(numeric, "lt"), Rule(numeric, "lte"), errors);
                }

                break;
        }
    }

    private static double? Rule(IMessage rules, string name)
    {
        var field = rules.Descriptor.FindFieldByName(name);
        return field is not null && field.Accessor.HasValue(rules) ? Convert.ToDouble(field.Accessor.GetValue(rules), System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static double? Numeric(object? value) => value switch
    {
        null => null,
        UInt32Value v => v.Value,
        UInt64Value v => v.Value,
        Int32Value v => v.Value,
        Int64Value v => v.Value,
        DoubleValue v => v.Value,
        FloatValue v => v.Value,
        IConvertible c => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    private static void Bound(string where, double value, double? gt, double? gte, double? lt, double? lte, List<string> errors)
    {
        if ((gt is { } a && !(value > a)) || (gte is { } b && !(value >= b)) || (lt is { } c && !(value < c)) || (lte is { } d && !(value <= d)))
        {
            errors.Add($"{where}: {value} is out of range (gt {gt}, gte {gte}, lt {lt}, lte {lte})");
        }
    }

    private static bool IsDefault(object? value) => value switch
    {
        null => true,
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        IConvertible c => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture) == 0,
        _ => false,
    };
}
