using System.Collections;
using System.Reflection;
using Mesh.Api.Client;
using Newtonsoft.Json.Linq;

namespace Mesh.Api.Tests.GeneratedClient;

/// <summary>Assertions that compare what the generated client sent with what came back over the wire.</summary>
public static class WireAssert
{
    /// <summary>
    /// Every generated type keeps JSON members its schema does not name in <c>AdditionalProperties</c>,
    /// and would otherwise drop them silently. An answer with such a member means the document does not
    /// describe the wire, so this walks the whole answer and fails naming each one.
    /// </summary>
    public static void FullyDescribed(object answer)
    {
        var undescribed = new List<string>();
        Walk(answer, "$", undescribed);
        Assert.True(undescribed.Count == 0, "members the OpenAPI document does not describe: " + string.Join(", ", undescribed));
    }

    /// <summary>
    /// A spec came back as it was sent: equal as JSON, member for member, as the generated client writes
    /// them. Comparing JSON rather than objects checks every nested union and list without listing fields.
    /// </summary>
    public static void SameJson(object sent, object received)
    {
        var expected = JToken.FromObject(sent);
        var actual = JToken.FromObject(received);
        Assert.True(JToken.DeepEquals(expected, actual), $"sent {expected.ToString(Newtonsoft.Json.Formatting.None)}\nreceived {actual.ToString(Newtonsoft.Json.Formatting.None)}");
    }

    /// <summary>Epoch seconds (not milliseconds or a string) within a minute of this machine's clock.</summary>
    public static void RecentEpochSeconds(double timestamp)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(timestamp, now - 60, now + 60);
    }

    private static void Walk(object? value, string path, List<string> undescribed)
    {
        switch (value)
        {
            case null or string or ValueType:
                return;
            case IEnumerable items:
                var index = 0;
                foreach (var item in items)
                {
                    Walk(item, $"{path}[{index++}]", undescribed);
                }

                return;
        }

        var type = value.GetType();
        if (type.Assembly != typeof(AppMeshClient).Assembly)
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var member = property.GetValue(value);
            if (property.Name == "AdditionalProperties" && member is IDictionary<string, object> extra)
            {
                undescribed.AddRange(extra.Keys.Select(key => $"{path}.{key}"));
            }
            else
            {
                Walk(member, $"{path}.{property.Name}", undescribed);
            }
        }
    }
}
