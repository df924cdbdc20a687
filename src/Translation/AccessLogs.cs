using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Google.Protobuf.WellKnownTypes;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// <c>logging.accessLog.file</c> → <c>envoy.access_loggers.file</c> (docs/envoy-mapping.md §3 "Access log").
/// Text patterns get a trailing newline when they lack one, or every entry would run into the next.
/// JSON key/value pairs become a JSON format struct; keys are written in sorted order for stable output.
/// </summary>
internal static class AccessLogs
{
    public static AccessLog? Build(Specs.Logging? logging)
    {
        if (logging?.AccessLog?.File is not { } file)
        {
            return null;
        }

        var config = new FileAccessLog { Path = file.Path };
        if (file.Format?.Text is { } text)
        {
            config.LogFormat = new SubstitutionFormatString
            {
                TextFormatSource = new DataSource { InlineString = text.EndsWith('\n') ? text : text + "\n" },
            };
        }
        else if (file.Format?.Json is { } json)
        {
            var fields = new Struct();
            foreach (var pair in json.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                fields.Fields[pair.Key] = Value.ForString(pair.Value);
            }

            config.LogFormat = new SubstitutionFormatString { JsonFormat = fields };
        }

        return new AccessLog { Name = "envoy.access_loggers.file", TypedConfig = Protos.Pack(config) };
    }
}
