/* test_screen_state.c - the kiosk screen's event -> screen state machine (ui/screen-state.c):
 * the normal session, events out of order, unknown and malformed events, a connection
 * lost mid-session, reconnect with a status snapshot, and the "never claim more than
 * the service said" rules for the verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "ui/screen-state.h"

#define DEV "\"device\":{\"vendor\":\"Kingston\",\"model\":\"DataTraveler\",\"serial\":\"X1\"," \
            "\"size\":8000000000,\"devnode\":\"/dev/sdb\"}"
#define EV(type, session, rest) \
    "{\"type\":\"" type "\",\"session\":" session ",\"time\":\"2024-06-11T09:30:00Z\"" rest "}"

static void feed_ok(struct screen_state *s, const char *line)
{
    if (!screen_state_feed_line(s, line))
        fail_msg("event ignored: %s", line);
}

static void feed_ignored(struct screen_state *s, const char *line)
{
    unsigned before = s->ignored;
    if (screen_state_feed_line(s, line))
        fail_msg("event accepted: %s", line);
    assert_int_equal(s->ignored, before + 1);
}

static struct screen_state *connected_idle(void)
{
    struct screen_state *s = screen_state_new();
    assert_int_equal(s->screen, SCREEN_OUT_OF_SERVICE);
    assert_int_equal(s->oos_code, OOS_SERVICE_DOWN);
    screen_state_connected(s);
    feed_ok(s, EV("hello", "null", ",\"version\":1,\"kiosk_name\":\"Gate 3\",\"site\":"
                                   "\"Tobishima\",\"language\":\"ja\""));
    assert_int_equal(s->screen, SCREEN_OUT_OF_SERVICE); /* until the snapshot */
    feed_ok(s, EV("status", "null", ",\"state\":\"idle\",\"queue\":0"));
    assert_int_equal(s->screen, SCREEN_WAITING);
    assert_string_equal(s->language, "ja");
    assert_string_equal(s->kiosk_name, "Gate 3");
    assert_false(s->can_print);
    return s;
}

static const char *DONE_PARTIAL =
    EV("done", "\"s1\"",
       ",\"status\":\"partial\",\"counts\":{\"files\":6,\"delivered\":4,\"infected\":1,"
       "\"blocked\":1,\"error\":0,\"skipped\":0},\"delivery\":\"/srv/kiosk/staging/s1\","
       "\"manifest_sha256\":\"ab\",\"held_back\":[{\"path\":\"eicar.txt\",\"verdict\":"
       "\"infected\",\"reason\":\"Eicar-Signature\"},{\"path\":\"run.exe\",\"verdict\":"
       "\"blocked\",\"reason\":\"rule 12: executables\"}],\"test_signatures\":true");

static void test_normal_session(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("detected", "\"s1\"", "," DEV));
    assert_int_equal(s->screen, SCREEN_CHECKING);
    assert_string_equal(s->device.vendor, "Kingston");
    assert_true(s->device.size == 8000000000LL);
    feed_ok(s, EV("checking", "\"s1\"", "," DEV));
    assert_int_equal(s->screen, SCREEN_CHECKING);
    feed_ok(s, EV("scanning", "\"s1\"",
                  ",\"files_done\":2,\"files_total\":6,\"bytes_done\":100,\"bytes_total\":600,"
                  "\"current\":\"docs/a.csv\",\"eta_seconds\":12"));
    assert_int_equal(s->screen, SCREEN_SCANNING);
    assert_int_equal(s->files_done, 2);
    assert_string_equal(s->current, "docs/a.csv");
    assert_int_equal(s->eta_seconds, 12);
    feed_ok(s, EV("delivering", "\"s1\"", ""));
    assert_int_equal(s->screen, SCREEN_SCANNING);
    assert_true(s->delivering);
    assert_int_equal(s->verdict, VERDICT_NONE); /* nothing claimed before "done" */
    feed_ok(s, DONE_PARTIAL);
    assert_int_equal(s->screen, SCREEN_RESULT);
    assert_int_equal(s->verdict, VERDICT_SOME_HELD_BACK);
    assert_int_equal(s->n_held, 2);
    assert_int_equal(s->held[0].verdict, HELD_INFECTED);
    assert_string_equal(s->held[0].reason, "Eicar-Signature");
    assert_int_equal(s->held[1].verdict, HELD_BLOCKED);
    assert_true(s->test_signatures);
    assert_string_equal(s->delivery, "/srv/kiosk/staging/s1");
    feed_ok(s, EV("remove-media", "\"s1\"", ""));
    assert_int_equal(s->screen, SCREEN_REMOVE);
    assert_int_equal(s->verdict, VERDICT_SOME_HELD_BACK); /* still shown while removing */
    feed_ok(s, EV("idle", "null", ""));
    assert_int_equal(s->screen, SCREEN_WAITING);
    assert_int_equal(s->verdict, VERDICT_NONE);
    assert_int_equal(s->n_held, 0);
    screen_state_free(s);
}

static void test_verdicts_never_overclaim(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    /* status "delivered" and nothing held back: the only way to green */
    feed_ok(s, EV("done", "\"a\"",
                  ",\"status\":\"delivered\",\"counts\":{\"files\":2,\"delivered\":2},"
                  "\"delivery\":\"/x/a\",\"held_back\":[]"));
    assert_int_equal(s->verdict, VERDICT_DELIVERED);
    /* "delivered" but a count says something was held back: not green */
    feed_ok(s, EV("done", "\"b\"",
                  ",\"status\":\"delivered\",\"counts\":{\"files\":2,\"delivered\":1,"
                  "\"infected\":1},\"delivery\":\"/x/b\",\"held_back\":[]"));
    assert_int_equal(s->verdict, VERDICT_SOME_HELD_BACK);
    /* partial with nothing delivered: red */
    feed_ok(s, EV("done", "\"c\"",
                  ",\"status\":\"partial\",\"counts\":{\"files\":1,\"delivered\":0,"
                  "\"error\":1},\"delivery\":null,\"held_back\":[{\"path\":\"x\",\"verdict\":"
                  "\"error\",\"reason\":\"read error\"}]"));
    assert_int_equal(s->verdict, VERDICT_NOTHING);
    assert_int_equal(s->held[0].verdict, HELD_ERROR);
    /* unknown status, files "delivered" but no delivery folder: red */
    feed_ok(s, EV("done", "\"d\"",
                  ",\"status\":\"maybe\",\"counts\":{\"files\":1,\"delivered\":1}"));
    assert_int_equal(s->verdict, VERDICT_NOTHING);
    /* unknown held-back verdict counts as "could not be scanned" */
    feed_ok(s, EV("done", "\"e\"",
                  ",\"status\":\"partial\",\"counts\":{\"files\":1},\"held_back\":"
                  "[{\"path\":\"y\",\"verdict\":\"weird\"}]"));
    assert_int_equal(s->held[0].verdict, HELD_ERROR);
    assert_null(s->held[0].reason);
    /* failed: red, with the reason */
    feed_ok(s, EV("failed", "\"f\"", ",\"reason\":\"media removed during the check\""));
    assert_int_equal(s->screen, SCREEN_RESULT);
    assert_int_equal(s->verdict, VERDICT_NOTHING);
    assert_true(s->failed);
    assert_string_equal(s->reason, "media removed during the check");
    screen_state_free(s);
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("checking", "\"s1\"", "," DEV));
    feed_ok(s, EV("scanning", "\"s1\"", ",\"files_done\":5,\"files_total\":6"));
    /* progress going backwards, an older phase: ignored */
    feed_ignored(s, EV("scanning", "\"s1\"", ",\"files_done\":3,\"files_total\":6"));
    assert_int_equal(s->files_done, 5);
    feed_ignored(s, EV("detected", "\"s1\"", "," DEV));
    assert_int_equal(s->screen, SCREEN_SCANNING);
    feed_ok(s, DONE_PARTIAL);
    /* a late progress event after the result never replaces it */
    feed_ignored(s, EV("scanning", "\"s1\"", ",\"files_done\":6,\"files_total\":6"));
    feed_ignored(s, EV("delivering", "\"s1\"", ""));
    /* a second result for the same session: the first stays */
    feed_ignored(s, EV("done", "\"s1\"", ",\"status\":\"delivered\",\"counts\":{}"));
    assert_int_equal(s->screen, SCREEN_RESULT);
    assert_int_equal(s->verdict, VERDICT_SOME_HELD_BACK);
    /* a new session supersedes; the old one's late events are then ignored */
    feed_ok(s, EV("detected", "\"s2\"", "," DEV));
    assert_int_equal(s->screen, SCREEN_CHECKING);
    assert_int_equal(s->verdict, VERDICT_NONE);
    feed_ignored(s, EV("remove-media", "\"s1\"", ""));
    feed_ignored(s, DONE_PARTIAL);
    assert_int_equal(s->screen, SCREEN_CHECKING);
    /* "result" before any progress is accepted (the service may skip phases) */
    feed_ok(s, EV("failed", "\"s2\"", ",\"reason\":\"unreadable\""));
    assert_int_equal(s->screen, SCREEN_RESULT);
    /* after idle, nothing of s2 comes back */
    feed_ok(s, EV("idle", "null", ""));
    feed_ignored(s, EV("scanning", "\"s2\"", ",\"files_done\":1"));
    assert_int_equal(s->screen, SCREEN_WAITING);
    screen_state_free(s);
}

static void test_unknown_and_malformed(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ignored(s, EV("fireworks", "null", ""));
    feed_ignored(s, "not json at all");
    feed_ignored(s, "[1,2,3]");
    feed_ignored(s, "{\"type\":42}");
    feed_ignored(s, "{\"no_type\":true}");
    feed_ignored(s, "");
    feed_ignored(s, NULL);
    feed_ignored(s, EV("status", "null", ",\"state\":\"dancing\""));
    assert_int_equal(s->screen, SCREEN_WAITING);
    /* wrong member types do not crash and do not invent data */
    feed_ok(s, EV("scanning", "\"s9\"",
                  ",\"files_done\":\"many\",\"files_total\":null,\"current\":7"));
    assert_int_equal(s->files_done, 0);
    assert_null(s->current);
    feed_ok(s, EV("done", "\"s9\"", ",\"counts\":[],\"held_back\":{\"a\":1}"));
    assert_int_equal(s->verdict, VERDICT_NOTHING);
    assert_int_equal(s->n_held, 0);
    /* replies are not events and not errors */
    unsigned ignored = s->ignored;
    assert_false(screen_state_feed_line(
        s, "{\"type\":\"reply\",\"cmd\":\"details\",\"ok\":true,\"error\":null}"));
    assert_int_equal(s->ignored, ignored);
    screen_state_free(s);
}

static void test_connection_lost_and_reconnect(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("scanning", "\"s1\"", ",\"files_done\":1,\"files_total\":6"));
    screen_state_disconnected(s);
    assert_int_equal(s->screen, SCREEN_OUT_OF_SERVICE);
    assert_int_equal(s->oos_code, OOS_SERVICE_DOWN);
    assert_false(s->connected);
    assert_null(s->session);
    assert_int_equal(s->files_done, 0); /* no stale progress shown after reconnect */
    /* reconnect: hello alone does not leave the out-of-service screen */
    screen_state_connected(s);
    feed_ok(s, EV("hello", "null", ",\"version\":1,\"language\":\"en\",\"can_print\":true"));
    assert_int_equal(s->screen, SCREEN_OUT_OF_SERVICE);
    assert_true(s->can_print);
    /* the snapshot says the same session is now delivering */
    feed_ok(s, EV("status", "\"s1\"", ",\"state\":\"delivering\",\"queue\":1"));
    assert_int_equal(s->screen, SCREEN_SCANNING);
    assert_true(s->delivering);
    assert_int_equal(s->queue, 1);
    feed_ignored(s, EV("checking", "\"s1\"", "," DEV));
    feed_ok(s, EV("done", "\"s1\"",
                  ",\"status\":\"delivered\",\"counts\":{\"files\":1,\"delivered\":1},"
                  "\"delivery\":\"/d\",\"held_back\":[]"));
    assert_int_equal(s->verdict, VERDICT_DELIVERED);

    /* lost while showing a result; the service restarted and is idle now */
    screen_state_disconnected(s);
    assert_int_equal(s->verdict, VERDICT_NONE);
    screen_state_connected(s);
    feed_ok(s, EV("hello", "null", ",\"version\":1,\"language\":\"en\""));
    feed_ok(s, EV("status", "null",
                  ",\"state\":\"done\",\"status\":\"partial\",\"counts\":{\"files\":2,"
                  "\"delivered\":1,\"blocked\":1},\"delivery\":\"/d2\",\"held_back\":[{"
                  "\"path\":\"m.docm\",\"verdict\":\"blocked\",\"reason\":\"macros\"}]"));
    assert_int_equal(s->screen, SCREEN_RESULT);
    assert_int_equal(s->verdict, VERDICT_SOME_HELD_BACK);
    feed_ok(s, EV("remove-media", "null", ""));
    assert_int_equal(s->screen, SCREEN_REMOVE);
    screen_state_free(s);
}

static void test_out_of_service_refused_queued(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("out-of-service", "null",
                  ",\"code\":\"signatures-old\",\"reason\":\"signatures are 9 days old\""));
    assert_int_equal(s->screen, SCREEN_OUT_OF_SERVICE);
    assert_int_equal(s->oos_code, OOS_SIGNATURES_OLD);
    assert_string_equal(s->reason, "signatures are 9 days old");
    /* the service cannot pretend to be "service-down"; unknown codes stay unknown */
    feed_ok(s, EV("out-of-service", "null", ",\"code\":\"service-down\""));
    assert_int_equal(s->oos_code, OOS_UNKNOWN);
    feed_ok(s, EV("out-of-service", "null", ",\"code\":\"staging\""));
    assert_int_equal(s->oos_code, OOS_STAGING);
    feed_ok(s, EV("idle", "null", ""));
    assert_null(s->reason);

    feed_ok(s, EV("refused", "\"r1\"", "," DEV ",\"reason\":\"not a USB mass storage device\""));
    assert_int_equal(s->screen, SCREEN_REFUSED);
    assert_string_equal(s->reason, "not a USB mass storage device");
    feed_ignored(s, EV("scanning", "\"r1\"", ",\"files_done\":1"));
    feed_ok(s, EV("remove-media", "\"r1\"", ""));
    assert_int_equal(s->screen, SCREEN_REMOVE);
    assert_int_equal(s->verdict, VERDICT_NONE);
    feed_ok(s, EV("idle", "null", ""));

    /* a second stick while the first is scanning: the screen stays, the queue is noted */
    feed_ok(s, EV("scanning", "\"s1\"", ",\"files_done\":1,\"files_total\":2"));
    feed_ok(s, EV("waiting", "\"s2\"", "," DEV ",\"position\":1"));
    assert_int_equal(s->screen, SCREEN_SCANNING);
    assert_string_equal(s->session, "s1");
    assert_int_equal(s->queue, 1);
    /* when nothing is being scanned, the queued screen shows */
    feed_ok(s, EV("idle", "null", ""));
    feed_ok(s, EV("waiting", "\"s3\"", "," DEV ",\"position\":2"));
    assert_int_equal(s->screen, SCREEN_QUEUED);
    assert_int_equal(s->position, 2);
    feed_ok(s, EV("checking", "\"s3\"", "," DEV));
    assert_int_equal(s->screen, SCREEN_CHECKING);
    screen_state_free(s);
}

static void test_testing_mode_and_names(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    assert_false(s->testing_mode);
    feed_ok(s, "{\"type\":\"idle\",\"session\":null,\"time\":\"t\",\"testing_mode\":true}");
    assert_true(s->testing_mode);
    feed_ok(s, EV("hello", "null", ",\"version\":1,\"language\":\"fr\""));
    assert_null(s->language); /* unsupported language: the UI keeps its own default */
    assert_string_equal(screen_id_name(SCREEN_REMOVE), "remove-media");
    assert_string_equal(screen_id_name(SCREEN_COUNT), "?");
    assert_string_equal(screen_verdict_name(VERDICT_SOME_HELD_BACK), "some-held-back");
    assert_string_equal(screen_oos_code_name(OOS_SERVICE_DOWN), "service-down");
    screen_state_free(s);
    screen_state_free(NULL);
}

/* EDIFACT files and details that disagree (docs/edifact.md): kept as the service sent
 * them; anything but status "ok" is a problem; idle forgets them. */
static void test_edifact(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("detected", "\"s1\"", "," DEV));
    feed_ok(s, EV("delivering", "\"s1\"", ""));
    feed_ok(s, EV("edifact-mismatch", "\"s1\"",
                  ",\"mismatches\":[{\"path\":\"B.edi\",\"type\":\"BAPLIE\",\"field\":"
                  "\"voyage\",\"in_file\":\"124E\",\"entered\":\"123W\",\"text\":\"this bay "
                  "plan is for voyage 124E; you entered 123W\",\"text_ja\":\"JA\"}]"));
    assert_int_equal(s->screen, SCREEN_SCANNING); /* not a state */
    assert_int_equal(s->n_mismatch, 1);
    assert_string_equal(s->mismatch[0].in_file, "124E");
    feed_ok(s, EV("done", "\"s1\"",
                  ",\"status\":\"delivered\",\"counts\":{\"files\":3,\"delivered\":3,"
                  "\"infected\":0,\"blocked\":0,\"error\":0,\"skipped\":0},\"delivery\":\"d\","
                  "\"held_back\":[],\"edifact\":[{\"path\":\"B.edi\",\"status\":\"ok\",\"type\":"
                  "\"BAPLIE\",\"vessel\":\"MSC AURORA\",\"voyage\":\"124E\",\"imo\":null,"
                  "\"containers\":1834,\"messages\":1,\"delivered\":true},{\"path\":\"M.edi\","
                  "\"status\":\"weird\",\"containers\":-3},{\"path\":\"C.edi\",\"status\":"
                  "\"malformed\",\"type\":\"COPRAR\",\"problem\":\"cut\",\"problem_ja\":\"切\","
                  "\"delivered\":false}, 7]"));
    assert_int_equal(s->screen, SCREEN_RESULT);
    assert_int_equal(s->verdict, VERDICT_DELIVERED); /* a warning holds nothing back */
    assert_int_equal(s->n_edifact, 3);
    assert_string_equal(s->edifact[0].vessel, "MSC AURORA");
    assert_null(s->edifact[0].imo);
    assert_true(s->edifact[0].containers == 1834);
    assert_false(s->edifact[0].malformed);
    assert_true(s->edifact[0].delivered);
    assert_true(s->edifact[1].malformed); /* an unknown status is never "ok" */
    assert_string_equal(s->edifact[2].problem_ja, "切");
    assert_false(s->edifact[2].delivered);
    /* "done" without the list keeps the one of the event */
    assert_int_equal(s->n_mismatch, 1);
    assert_string_equal(s->mismatch[0].text, "this bay plan is for voyage 124E; you entered 123W");
    feed_ok(s, EV("idle", "null", ""));
    assert_int_equal(s->n_edifact, 0);
    assert_int_equal(s->n_mismatch, 0);
    screen_state_free(s);
}

/* "Passed to the terminal" only after the service published the delivery: a "done" with
 * a publication object starts as pending; "publication" events of that session move it;
 * published is final; another session's publication changes nothing. */
static void test_publication(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("detected", "\"s1\"", "," DEV));
    feed_ok(s, EV("done", "\"s1\"",
                  ",\"status\":\"delivered\",\"counts\":{\"files\":2,\"delivered\":2,"
                  "\"infected\":0,\"blocked\":0,\"error\":0,\"skipped\":0},\"delivery\":"
                  "\"smb://fs/share/s1\",\"held_back\":[],\"publication\":{\"state\":"
                  "\"queued\",\"target\":\"smb://fs/share\"}"));
    assert_int_equal(s->verdict, VERDICT_DELIVERED);
    assert_int_equal(s->publication, PUB_PENDING);
    feed_ignored(s, EV("publication", "\"s0\"", ",\"state\":\"published\""));
    assert_int_equal(s->publication, PUB_PENDING);
    feed_ignored(s, EV("publication", "\"s1\"", ",\"state\":\"publishing\"")); /* still pending */
    feed_ok(s, EV("publication", "\"s1\"", ",\"state\":\"failed\",\"error\":\"no route\""));
    assert_int_equal(s->publication, PUB_RETRYING);
    feed_ok(s, EV("remove-media", "\"s1\"", "," DEV));
    feed_ok(s, EV("publication", "\"s1\"", ",\"state\":\"published\""));
    assert_int_equal(s->publication, PUB_PUBLISHED);
    assert_int_equal(s->screen, SCREEN_REMOVE);
    feed_ignored(s, EV("publication", "\"s1\"", ",\"state\":\"failed\""));
    assert_int_equal(s->publication, PUB_PUBLISHED);
    assert_string_equal(screen_publication_name(s->publication), "published");
    screen_state_free(s);
}

/* Safe copies (content disarm): delivered, listed apart from the held-back files, green
 * when nothing was held back; malformed entries do not stop the rest. */
static void test_sanitized(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("done", "\"c\"",
                  ",\"status\":\"delivered\",\"counts\":{\"files\":3,\"delivered\":3,"
                  "\"sanitized\":2},\"delivery\":\"/x/c\",\"held_back\":[],\"sanitized\":["
                  "{\"path\":\"load/stowage.xlsm\",\"delivered_as\":\"load/stowage.xlsx\","
                  "\"removed\":[\"vba-macros\",\"activex-controls\",7],\"reason\":\"r1\"},"
                  "42,"
                  "{\"path\":\"plan.pdf\",\"removed\":[\"pdf-javascript\"],\"reason\":\"r2\"}]"));
    assert_int_equal(s->screen, SCREEN_RESULT);
    assert_int_equal(s->verdict, VERDICT_DELIVERED);
    assert_int_equal(s->counts.sanitized, 2);
    assert_int_equal(s->n_held, 0);
    assert_int_equal(s->n_sanitized, 2);
    assert_string_equal(s->sanitized[0].path, "load/stowage.xlsm");
    assert_string_equal(s->sanitized[0].delivered_as, "load/stowage.xlsx");
    assert_string_equal(s->sanitized[0].removed[0], "vba-macros");
    assert_string_equal(s->sanitized[0].removed[1], "activex-controls");
    assert_null(s->sanitized[0].removed[2]); /* a number is not an identifier */
    assert_null(s->sanitized[1].delivered_as);
    assert_string_equal(s->sanitized[1].reason, "r2");
    /* the next session forgets them */
    feed_ok(s, EV("detected", "\"d\"", ""));
    assert_int_equal(s->n_sanitized, 0);
    screen_state_free(s);
}

/* Reasons keep their code and parameters beside the English text (the screen words them
 * in its language); an unknown code or malformed parameters leave only the text. */
static void test_reason_codes(void **state)
{
    (void)state;
    struct screen_state *s = connected_idle();
    feed_ok(s, EV("refused", "\"r1\"",
                  "," DEV ",\"reason\":\"keyboard\",\"reason_code\":\"device.hid-interface\","
                  "\"reason_params\":{\"class\":\"03\"}"));
    assert_int_equal(s->screen, SCREEN_REFUSED);
    assert_string_equal(s->reason, "keyboard");
    assert_string_equal(s->reason_rd.code, "device.hid-interface");
    assert_string_equal(reason_data_param(&s->reason_rd, 0), "03");
    feed_ok(s, EV("done", "\"s2\"",
                  ",\"status\":\"partial\",\"counts\":{\"files\":2,\"delivered\":1,"
                  "\"blocked\":1},\"delivery\":\"/x/s2\",\"held_back\":[{\"path\":\"a.exe\","
                  "\"verdict\":\"blocked\",\"reason\":\"no exe\",\"reason_code\":"
                  "\"policy.rule-block\",\"reason_params\":{\"rule\":\"14\",\"text\":\"no exe\","
                  "\"text_ja\":\"\u5b9f\u884c\u30d5\u30a1\u30a4\u30eb\"}},{\"path\":\"b\","
                  "\"verdict\":\"error\",\"reason\":\"odd\",\"reason_code\":\"no.such-code\"}]"));
    assert_int_equal(s->n_held, 2);
    assert_string_equal(s->held[0].rd.code, "policy.rule-block");
    assert_string_equal(reason_data_param(&s->held[0].rd, 2), "実行ファイル");
    assert_string_equal(s->held[1].rd.code, ""); /* unknown: the English text alone */
    assert_string_equal(s->held[1].reason, "odd");
    /* a new session forgets the refusal's code */
    feed_ok(s, EV("failed", "\"s3\"", ",\"reason\":\"gone\""));
    assert_string_equal(s->reason_rd.code, "");
    screen_state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_session),
        cmocka_unit_test(test_verdicts_never_overclaim),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_unknown_and_malformed),
        cmocka_unit_test(test_connection_lost_and_reconnect),
        cmocka_unit_test(test_out_of_service_refused_queued),
        cmocka_unit_test(test_testing_mode_and_names),
        cmocka_unit_test(test_edifact),
        cmocka_unit_test(test_publication),
        cmocka_unit_test(test_sanitized),
        cmocka_unit_test(test_reason_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
