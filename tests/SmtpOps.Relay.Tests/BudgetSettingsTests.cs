using System.Collections.Generic;
using SmtpOps.Relay.Hosting;
using Xunit;

namespace SmtpOps.Relay.Tests;

public sealed class BudgetSettingsTests
{
    [Theory]
    [InlineData("Smtp", "smtp.office365.com", "ExchangeOnline: 30 messages per minute, 10000 recipients per day, 3 concurrent")]
    [InlineData("Smtp", "relay.contoso.test", "Smarthost: unlimited")]
    [InlineData("Graph", null, "Graph: 10000 messages per 00:10:00, 10000 recipients per day, 4 concurrent")]
    [InlineData("Acs", null, "Acs: 30 messages per minute, 100 messages per hour")]
    public void EachTransportGetsItsRoutesDocumentedBudgetByName(string transport, string? host, string expected)
        => Assert.Equal(expected, new BudgetSettings().ToBudget(transport, host, legacyMessagesPerMinute: null).ToString());

    [Fact]
    public void SettingsReplaceTheRoutesLimitsAndTheOlderMessagesPerMinuteYieldsToTheNewOne()
    {
        var settings = new BudgetSettings { Route = "ExchangeOnline", RecipientsPerDay = 0, MessagesPerHour = 500, ConcurrentSends = 2, Limits = ["5 messages per 00:00:10"] };

        Assert.Equal("ExchangeOnline: 5 messages per 00:00:10, 20 messages per minute, 500 messages per hour, 2 concurrent", settings.ToBudget("Smtp", "relay.contoso.test", 20).ToString());
        Assert.Equal(10, new BudgetSettings { MessagesPerMinute = 10 }.ToBudget("Smtp", "smtp.office365.com", 20).MessagesPerMinute);
        Assert.Null(new BudgetSettings().ToBudget("Smtp", "smtp.office365.com", 0).MessagesPerMinute);
    }

    [Fact]
    public void EachProblemNamesItsSetting()
    {
        var problems = new List<string>();
        new BudgetSettings { Route = "Gmail", MessagesPerHour = -1, Limits = ["", "lots per day"], MaxHold = -1 }.Validate(problems);

        Assert.Collection(
            problems,
            p => Assert.StartsWith("Relay:Budget:Route: No route is named 'Gmail'", p),
            p => Assert.Equal("Relay:Budget:MessagesPerHour must not be negative (0 means no limit).", p),
            p => Assert.StartsWith("Relay:Budget:Limits:1: 'lots per day' is not a budget limit", p),
            p => Assert.Equal("Relay:Budget:MaxHold must not be negative.", p));
    }
}
