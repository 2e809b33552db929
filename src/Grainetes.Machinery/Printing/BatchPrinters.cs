using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of jobs and cron jobs, after kubectl's printers in pkg/printers/internalversion.</summary>
internal static class BatchPrinters
{
    private static readonly TableColumn Containers = TableColumn.Text("Containers", "Names of each container in the template.", 1);
    private static readonly TableColumn Images = TableColumn.Text("Images", "Images referenced by each container in the template.", 1);
    private static readonly TableColumn Selector = TableColumn.Text("Selector", "Selector of the pods the job runs.", 1);

    public static KindPrinter Job { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Status", "Status of the job."),
            TableColumn.Text("Completions", "The desired number of successfully finished pods the job should be run with."),
            TableColumn.Text("Duration", "Time required to complete the job."),
            TableColumn.AgeColumn,
            Containers,
            Images,
            Selector,
        ],
        (job, now) =>
        [
            Str(job, "metadata", "name"),
            JobStatus(job),
            Completions(job),
            Duration(job, now),
            Age(job, now),
            .. AppsPrinters.TemplateCells(job),
        ]);

    public static KindPrinter CronJob { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            TableColumn.Text("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
            TableColumn.Text("Suspend", "This flag tells the controller to suspend subsequent executions."),
            TableColumn.Integer("Active", "A list of pointers to currently running jobs."),
            TableColumn.Text("Last Schedule", "Information when was the last time the job was successfully scheduled."),
            TableColumn.AgeColumn,
            Containers,
            Images,
            Selector,
        ],
        (cj, now) =>
        [
            Str(cj, "metadata", "name"),
            Str(cj, "spec", "schedule") ?? "",
            StrOr(cj, "<none>", "spec", "timeZone"),
            Bool(cj, "spec", "suspend") ? "True" : "False",
            Count(cj, "status", "active"),
            Time(cj, "status", "lastScheduleTime") is { } last ? HumanDuration.Format(now - last) : "<none>",
            Age(cj, now),
            .. AppsPrinters.TemplateCells(cj, "spec", "jobTemplate"),
        ]);

    /// <summary>kubectl's job status column: the terminal condition if any, else Suspended, Terminating or Running.</summary>
    private static string JobStatus(JsonObject job)
    {
        bool Has(string type) => Objects(job, "status", "conditions").Any(c => Str(c, "type") == type && Str(c, "status") == "True");
        if (Has("Complete")) return "Complete";
        if (Has("Failed")) return "Failed";
        if (Node(job, "metadata", "deletionTimestamp") is not null) return "Terminating";
        if (Has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
        if (Has("FailureTarget")) return "FailureTarget";
        if (Has("Suspended")) return "Suspended";
        return "Running";
    }

    private static string Completions(JsonObject job)
    {
        var succeeded = Int(job, "status", "succeeded") ?? 0;
        if (Int(job, "spec", "completions") is { } completions)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{succeeded}/{completions}");
        }

        var parallelism = Int(job, "spec", "parallelism") ?? 0;
        return parallelism > 1
            ? string.Create(CultureInfo.InvariantCulture, $"{succeeded}/1 of {parallelism}")
            : string.Create(CultureInfo.InvariantCulture, $"{succeeded}/1");
    }

    private static string Duration(JsonObject job, DateTimeOffset now)
    {
        if (Time(job, "status", "startTime") is not { } start) return "";
        return HumanDuration.Format((Time(job, "status", "completionTime") ?? now) - start);
    }
}
