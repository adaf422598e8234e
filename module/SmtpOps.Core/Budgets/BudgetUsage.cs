using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace SmtpOps.Budgets;

/// <summary>
/// What a <see cref="SendingBudget"/> has used: the sends under way (each a reservation that ends when the send ends, or
/// when its lease runs out if its process died) and, per limit, the sends that ended, counted in slices of a sixtieth of
/// the window. Immutable: reserving and releasing return a new usage, which a <see cref="BudgetStore"/> writes back.
/// </summary>
/// <remarks>
/// A send is counted from the moment it is admitted until a whole window after it ended (rounded up to its slice). As the
/// service receives a message between its send's start and end, no window of the service's clock then holds more
/// than the limit, however long a send takes: when the last send of any window was admitted, every other send that
/// reached the service within that window was still counted. Clocks of several instances must agree (NTP) to the
/// precision one cares about.
/// </remarks>
public sealed class BudgetUsage
{
    private BudgetUsage(SendingBudget? budget, IReadOnlyList<Reservation> inFlight, IReadOnlyDictionary<string, IReadOnlyList<Slice>> ended)
    {
        Budget = budget;
        InFlightSends = inFlight;
        Ended = ended;
    }

    /// <summary>Gets the usage of a budget nothing was sent under yet.</summary>
    public static BudgetUsage Empty { get; } = new(null, Array.Empty<Reservation>(), new Dictionary<string, IReadOnlyList<Slice>>());

    /// <summary>Gets the budget the usage was last written under (by the relay: what Get-SmtpRelayQueue measures it against), or <c>null</c>.</summary>
    public SendingBudget? Budget { get; }

    /// <summary>Gets how many sends are under way.</summary>
    public int InFlight => InFlightSends.Count;

    private IReadOnlyList<Reservation> InFlightSends { get; }

    private IReadOnlyDictionary<string, IReadOnlyList<Slice>> Ended { get; }

    /// <summary>Reads a usage that <see cref="ToJson"/> wrote.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The usage.</returns>
    /// <exception cref="FormatException">The JSON is not a budget usage.</exception>
    public static BudgetUsage FromJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            SendingBudget? budget = null;
            if (root.TryGetProperty("budget", out var b) && b.ValueKind == JsonValueKind.Object)
            {
                budget = new SendingBudget(
                    b.GetProperty("name").GetString() ?? "Budget",
                    b.GetProperty("limits").EnumerateArray().Select(l => new BudgetLimit(
                        (BudgetMeasure)Enum.Parse(typeof(BudgetMeasure), l.GetProperty("measure").GetString() ?? string.Empty),
                        l.GetProperty("count").GetInt32(),
                        TimeSpan.FromTicks(l.GetProperty("window").GetInt64()))).ToArray(),
                    b.GetProperty("concurrent").GetInt32());
            }

            var inFlight = root.GetProperty("inFlight").EnumerateArray()
                .Select(r => new Reservation(r.GetProperty("id").GetString() ?? string.Empty, r.GetProperty("recipients").GetInt32(), new DateTimeOffset(r.GetProperty("expires").GetInt64(), TimeSpan.Zero)))
                .ToArray();
            var ended = new Dictionary<string, IReadOnlyList<Slice>>(StringComparer.Ordinal);
            foreach (var limit in root.GetProperty("ended").EnumerateObject())
            {
                ended[limit.Name] = limit.Value.EnumerateArray().Select(s => new Slice(s[0].GetInt64(), s[1].GetInt32())).ToArray();
            }

            return new BudgetUsage(budget, inFlight, ended);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new FormatException($"Not a budget usage: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the usage (and its budget) as compact JSON: a few hundred bytes for a minute's and an hour's limits.</summary>
    /// <returns>The JSON.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            if (Budget is { } budget)
            {
                writer.WriteStartObject("budget");
                writer.WriteString("name", budget.Name);
                writer.WriteNumber("concurrent", budget.ConcurrentSends);
                writer.WriteStartArray("limits");
                foreach (var limit in budget.Limits)
                {
                    writer.WriteStartObject();
                    writer.WriteString("measure", limit.Measure.ToString());
                    writer.WriteNumber("count", limit.Count);
                    writer.WriteNumber("window", limit.Window.Ticks);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteStartArray("inFlight");
            foreach (var reservation in InFlightSends)
            {
                writer.WriteStartObject();
                writer.WriteString("id", reservation.Id);
                writer.WriteNumber("recipients", reservation.Recipients);
                writer.WriteNumber("expires", reservation.ExpiresAt.UtcTicks);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("ended");
            foreach (var pair in Ended)
            {
                writer.WriteStartArray(pair.Key);
                foreach (var slice in pair.Value)
                {
                    writer.WriteStartArray();
                    writer.WriteNumberValue(slice.Start);
                    writer.WriteNumberValue(slice.Count);
                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Gets each limit's use at <paramref name="now"/>, and the concurrent sends' when limited.</summary>
    /// <param name="budget">The budget to measure against; <c>null</c> for the one the usage was written under.</param>
    /// <param name="now">The moment.</param>
    /// <returns>One use per limit.</returns>
    public IReadOnlyList<BudgetUse> Describe(SendingBudget? budget, DateTimeOffset now)
    {
        budget ??= Budget ?? SendingBudget.Unlimited;
        var live = Prune(budget, now);
        var uses = new List<BudgetUse>();
        foreach (var limit in budget.Limits)
        {
            var inFlight = live.InFlightSends.Sum(r => Units(limit, r.Recipients));
            var used = inFlight + live.EndedIn(limit).Sum(s => s.Count);
            uses.Add(new BudgetUse
            {
                Limit = limit.ToString(),
                Window = limit.Window,
                Capacity = limit.Count,
                Used = used,
                InFlight = inFlight,
                FreeAt = used + 1 <= limit.Count ? null : live.FreeAt(limit, 1),
            });
        }

        if (budget.ConcurrentSends > 0)
        {
            uses.Add(new BudgetUse
            {
                Limit = $"{budget.ConcurrentSends.ToString(CultureInfo.InvariantCulture)} concurrent",
                Capacity = budget.ConcurrentSends,
                Used = live.InFlight,
                InFlight = live.InFlight,
            });
        }

        return uses;
    }

    /// <summary>Gets when the next message of <paramref name="recipients"/> recipients fits every limit; <c>null</c> when it fits now or cannot be told (every concurrent slot in flight).</summary>
    /// <param name="budget">The budget; <c>null</c> for the one the usage was written under.</param>
    /// <param name="now">The moment.</param>
    /// <param name="recipients">The message's recipients.</param>
    /// <returns>The time, or <c>null</c>.</returns>
    public DateTimeOffset? NextSendAt(SendingBudget? budget, DateTimeOffset now, int recipients = 1)
    {
        budget ??= Budget ?? SendingBudget.Unlimited;
        var live = Prune(budget, now);
        DateTimeOffset? latest = null;
        foreach (var limit in budget.Limits)
        {
            if (live.Fits(limit, recipients))
            {
                continue;
            }

            if (live.FreeAt(limit, Units(limit, recipients)) is { } at && (latest is null || at > latest))
            {
                latest = at;
            }
        }

        return latest;
    }

    /// <summary>Admits one send if it fits every limit and the concurrent sends, counting it as under way until released (or until <paramref name="lease"/> runs out).</summary>
    /// <param name="budget">The budget.</param>
    /// <param name="id">The send's reservation id.</param>
    /// <param name="recipients">Its recipients.</param>
    /// <param name="now">The moment.</param>
    /// <param name="lease">How long the reservation holds if never released (its process died).</param>
    /// <returns>The new usage when admitted (else <c>null</c>), and when to try again otherwise (<c>now</c> plus the poll interval when it cannot be told).</returns>
    internal (BudgetUsage? Next, DateTimeOffset RetryAt) Reserve(SendingBudget budget, string id, int recipients, DateTimeOffset now, TimeSpan lease)
    {
        var live = Prune(budget, now);
        var retryAt = now;
        var unknown = budget.ConcurrentSends > 0 && live.InFlight >= budget.ConcurrentSends;
        foreach (var limit in budget.Limits)
        {
            if (live.Fits(limit, recipients))
            {
                continue;
            }

            if (live.FreeAt(limit, Units(limit, recipients)) is { } at)
            {
                retryAt = at > retryAt ? at : retryAt;
            }
            else
            {
                unknown = true;
            }
        }

        if (retryAt > now || unknown)
        {
            var poll = now + budget.PollInterval;
            return (null, unknown && poll > retryAt ? poll : retryAt);
        }

        var reservations = live.InFlightSends.Concat(new[] { new Reservation(id, Math.Max(0, recipients), now + lease) }).ToArray();
        return (new BudgetUsage(budget, reservations, live.Ended), now);
    }

    /// <summary>Ends a send: its reservation becomes a send that ended at <paramref name="endedAt"/>, counted in each limit's window from then on.</summary>
    /// <param name="budget">The budget.</param>
    /// <param name="id">The reservation id.</param>
    /// <param name="endedAt">When the send ended.</param>
    /// <returns>The new usage.</returns>
    internal BudgetUsage Release(SendingBudget budget, string id, DateTimeOffset endedAt)
    {
        var live = Prune(budget, endedAt);
        var reservation = live.InFlightSends.FirstOrDefault(r => r.Id == id);
        if (reservation is null)
        {
            // Its lease ran out (the send outlasted it): it was counted until then, and is not counted twice.
            return live;
        }

        var ended = new Dictionary<string, IReadOnlyList<Slice>>(StringComparer.Ordinal);
        foreach (var limit in budget.Limits)
        {
            var slices = live.EndedIn(limit).ToList();
            var start = endedAt.UtcTicks - (endedAt.UtcTicks % limit.Slice.Ticks);
            var units = Units(limit, reservation.Recipients);
            var index = slices.FindIndex(s => s.Start == start);
            if (index >= 0)
            {
                slices[index] = new Slice(start, slices[index].Count + units);
            }
            else
            {
                slices.Add(new Slice(start, units));
                slices.Sort((a, b) => a.Start.CompareTo(b.Start));
            }

            ended[limit.Key] = slices;
        }

        return new BudgetUsage(budget, live.InFlightSends.Where(r => r.Id != id).ToArray(), ended);
    }

    private static int Units(BudgetLimit limit, int recipients) => limit.Measure == BudgetMeasure.Messages ? 1 : Math.Max(0, recipients);

    private static DateTimeOffset ExpiryOf(BudgetLimit limit, Slice slice) => new(slice.Start + limit.Slice.Ticks + limit.Window.Ticks, TimeSpan.Zero);

    private IEnumerable<Slice> EndedIn(BudgetLimit limit) => Ended.TryGetValue(limit.Key, out var slices) ? slices : Array.Empty<Slice>();

    // A message larger than the limit itself fits an empty window: it would wait forever otherwise.
    private bool Fits(BudgetLimit limit, int recipients)
    {
        var used = InFlightSends.Sum(r => Units(limit, r.Recipients)) + EndedIn(limit).Sum(s => s.Count);
        return used == 0 || used + Units(limit, recipients) <= limit.Count;
    }

    // When enough ended sends leave the window for 'units' more; null when the sends under way alone fill it.
    private DateTimeOffset? FreeAt(BudgetLimit limit, int units)
    {
        var inFlight = InFlightSends.Sum(r => Units(limit, r.Recipients));
        var excess = inFlight + EndedIn(limit).Sum(s => s.Count) + Math.Min(units, limit.Count) - limit.Count;
        foreach (var slice in EndedIn(limit))
        {
            excess -= slice.Count;
            if (excess <= 0)
            {
                return ExpiryOf(limit, slice);
            }
        }

        return null;
    }

    // Drops the reservations whose lease ran out, the slices that left their window, and the limits the budget no longer has.
    private BudgetUsage Prune(SendingBudget budget, DateTimeOffset now)
    {
        var ended = new Dictionary<string, IReadOnlyList<Slice>>(StringComparer.Ordinal);
        foreach (var limit in budget.Limits)
        {
            var slices = EndedIn(limit).Where(s => ExpiryOf(limit, s) > now).ToArray();
            if (slices.Length > 0)
            {
                ended[limit.Key] = slices;
            }
        }

        return new BudgetUsage(Budget, InFlightSends.Where(r => r.ExpiresAt > now).ToArray(), ended);
    }

    private sealed class Reservation
    {
        public Reservation(string id, int recipients, DateTimeOffset expiresAt)
        {
            Id = id;
            Recipients = recipients;
            ExpiresAt = expiresAt;
        }

        public string Id { get; }

        public int Recipients { get; }

        public DateTimeOffset ExpiresAt { get; }
    }

    private readonly struct Slice
    {
        public Slice(long start, int count)
        {
            Start = start;
            Count = count;
        }

        public long Start { get; }

        public int Count { get; }
    }
}
