using System.Reflection;
using Mesh.Api.Resources;
using Microsoft.Extensions.Logging;

namespace Mesh.Api.Tests;

/// <summary>
/// Every log event the API writes has an id of its own: operators filter and alert on event ids (the README and
/// docs name them), so two events under one id would hide one behind the other.
/// </summary>
public sealed class EventIdTests
{
    [Fact]
    public void The_Apis_Log_Events_Have_Distinct_Ids()
    {
        var events = typeof(ResourceOperations).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Select(method => (Method: $"{method.DeclaringType!.Name}.{method.Name}", Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(found => found.Attribute is not null)
            .ToList();

        var shared = events.GroupBy(found => found.Attribute!.EventId)
            .Where(group => group.Count() > 1)
            .Select(group => $"{group.Key}: {string.Join(", ", group.Select(found => found.Method))}")
            .ToList();

        Assert.True(events.Count >= 20, $"only {events.Count} log events found: the scan missed the API's");
        Assert.Empty(shared);
    }
}
