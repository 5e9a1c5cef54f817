/* kiosk-window.c - the full-screen window: no decorations, refuses to close, one page per
 * screen (a table, not a switch), pages re-created from their templates when the
 * language changes. */
#include "ui/kiosk-window.h"

#include <json-glib/json-glib.h>

#include "ui/kiosk-admin-login-page.h"
#include "ui/kiosk-admin-page.h"
#include "ui/kiosk-checking-page.h"
#include "ui/kiosk-out-of-service-page.h"
#include "ui/kiosk-queued-page.h"
#include "ui/kiosk-refused-page.h"
#include "ui/kiosk-remove-page.h"
#include "ui/kiosk-result-page.h"
#include "ui/kiosk-scanning-page.h"
#include "ui/kiosk-ui-format.h"
#include "ui/kiosk-waiting-page.h"

struct page_entry {
    enum screen_id screen;
    GType (*get_type)(void);
    void (*update)(GtkWidget *page, const struct screen_state *s);
};

static const struct page_entry page_table[] = {
    {SCREEN_OUT_OF_SERVICE, kiosk_out_of_service_page_get_type, kiosk_out_of_service_page_update},
    {SCREEN_WAITING, kiosk_waiting_page_get_type, kiosk_waiting_page_update},
    {SCREEN_CHECKING, kiosk_checking_page_get_type, kiosk_checking_page_update},
    {SCREEN_SCANNING, kiosk_scanning_page_get_type, kiosk_scanning_page_update},
    {SCREEN_RESULT, kiosk_result_page_get_type, kiosk_result_page_update},
    {SCREEN_REMOVE, kiosk_remove_page_get_type, kiosk_remove_page_update},
    {SCREEN_REFUSED, kiosk_refused_page_get_type, kiosk_refused_page_update},
    {SCREEN_QUEUED, kiosk_queued_page_get_type, kiosk_queued_page_update},
};

struct _KioskWindow {
    GtkApplicationWindow parent_instance;
    GtkLabel *name_label;
    GtkLabel *testing_label;
    GtkStack *stack;
    GtkWidget *admin_button;
    GtkWidget *pages[SCREEN_COUNT];
    GtkWidget *admin_login_page;
    GtkWidget *admin_page;
    enum kiosk_admin_mode admin_mode;
};

static const char *const admin_page_names[] = {NULL, "admin-login", "admin-status"};

G_DEFINE_FINAL_TYPE(KioskWindow, kiosk_window, GTK_TYPE_APPLICATION_WINDOW)

/* No way out: the window refuses every close request (Alt+F4, a window manager, ...). */
static gboolean kiosk_window_close_request(GtkWindow *window)
{
    (void)window;
    g_debug("close request refused");
    return TRUE;
}

/* Full HD and larger: bigger type (style.css "window.large"). */
static gboolean update_size_class(gpointer data)
{
    GtkWidget *w = data;
    if (gtk_widget_get_width(w) >= 1600)
        gtk_widget_add_css_class(w, "large");
    else
        gtk_widget_remove_css_class(w, "large");
    g_object_unref(w);
    return G_SOURCE_REMOVE;
}

static void kiosk_window_size_allocate(GtkWidget *w, int width, int height, int baseline)
{
    GTK_WIDGET_CLASS(kiosk_window_parent_class)->size_allocate(w, width, height, baseline);
    if ((width >= 1600) != gtk_widget_has_css_class(w, "large"))
        g_idle_add(update_size_class, g_object_ref(w));
}

static void kiosk_window_create_pages(KioskWindow *self)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(page_table); i++) {
        const struct page_entry *e = &page_table[i];
        GtkWidget *page = g_object_new(e->get_type(), NULL);
        self->pages[e->screen] = page;
        gtk_stack_add_named(self->stack, page, screen_id_name(e->screen));
    }
    self->admin_login_page = g_object_new(KIOSK_TYPE_ADMIN_LOGIN_PAGE, NULL);
    gtk_stack_add_named(self->stack, self->admin_login_page, admin_page_names[KIOSK_ADMIN_LOGIN]);
    self->admin_page = g_object_new(KIOSK_TYPE_ADMIN_PAGE, NULL);
    gtk_stack_add_named(self->stack, self->admin_page, admin_page_names[KIOSK_ADMIN_STATUS]);
}

/* A long press on the kiosk's name opens the administrator login too (like the button). */
static void on_name_long_press(GtkGestureLongPress *g, double x, double y, KioskWindow *self)
{
    (void)g;
    (void)x;
    (void)y;
    if (gtk_widget_get_visible(self->admin_button))
        gtk_widget_activate_action(GTK_WIDGET(self), "app.admin-open", NULL);
}

static void kiosk_window_class_init(KioskWindowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    GTK_WINDOW_CLASS(klass)->close_request = kiosk_window_close_request;
    wc->size_allocate = kiosk_window_size_allocate;
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-window.ui");
    gtk_widget_class_bind_template_child(wc, KioskWindow, name_label);
    gtk_widget_class_bind_template_child(wc, KioskWindow, testing_label);
    gtk_widget_class_bind_template_child(wc, KioskWindow, stack);
    gtk_widget_class_bind_template_child(wc, KioskWindow, admin_button);
}

static void kiosk_window_init(KioskWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    kiosk_window_create_pages(self);
    GtkGesture *lp = gtk_gesture_long_press_new();
    gtk_gesture_long_press_set_delay_factor(GTK_GESTURE_LONG_PRESS(lp), 3.0); /* ~1.5 s */
    g_signal_connect(lp, "pressed", G_CALLBACK(on_name_long_press), self);
    gtk_widget_add_controller(GTK_WIDGET(self->name_label), GTK_EVENT_CONTROLLER(lp));
}

KioskWindow *kiosk_window_new(GtkApplication *app)
{
    return g_object_new(KIOSK_TYPE_WINDOW, "application", app, NULL);
}

void kiosk_window_render(KioskWindow *self, const struct screen_state *s)
{
    g_autofree char *name = NULL;
    const char *kiosk = s->kiosk_name && *s->kiosk_name ? s->kiosk_name : _("USB media check");
    if (s->site && *s->site)
        name = g_strdup_printf("%s · %s", kiosk, s->site);
    else
        name = g_strdup(kiosk);
    gtk_label_set_text(self->name_label, name);
    gtk_label_set_text(self->testing_label, _("TESTING MODE"));
    gtk_widget_set_visible(GTK_WIDGET(self->testing_label), s->testing_mode);

    /* "Remove media" after a result keeps the result on screen (with the request on top):
     * the service sends it right after "done", and the list of held-back files must not
     * vanish before anyone could read it. */
    enum screen_id shown = s->screen;
    if (shown == SCREEN_REMOVE && s->verdict != VERDICT_NONE)
        shown = SCREEN_RESULT;
    for (unsigned i = 0; i < G_N_ELEMENTS(page_table); i++) {
        if (page_table[i].screen == shown) {
            GtkWidget *page = self->pages[shown];
            page_table[i].update(page, s);
            if (self->admin_mode == KIOSK_ADMIN_NONE)
                gtk_stack_set_visible_child(self->stack, page);
        }
    }
    /* The administrator's entry: on the waiting and out-of-service screens, while the service
     * listens (a stick being checked always has the screen). */
    /* in both languages: the terminal's IT staff find it whatever a visitor chose */
    gtk_button_set_label(GTK_BUTTON(self->admin_button), "管理者 / Administrator");
    gtk_widget_set_visible(self->admin_button, self->admin_mode == KIOSK_ADMIN_NONE &&
                                                   s->connected &&
                                                   (s->screen == SCREEN_WAITING ||
                                                    s->screen == SCREEN_OUT_OF_SERVICE));
    if (self->admin_mode == KIOSK_ADMIN_LOGIN)
        gtk_stack_set_visible_child(self->stack, self->admin_login_page);
    else if (self->admin_mode == KIOSK_ADMIN_STATUS)
        gtk_stack_set_visible_child(self->stack, self->admin_page);
}

void kiosk_window_set_admin(KioskWindow *self, enum kiosk_admin_mode mode,
                            const struct kiosk_admin_login_view *login, JsonObject *status,
                            const char *note, gboolean note_is_error, int stick,
                            const char *stick_action, const char *stick_device)
{
    self->admin_mode = mode;
    if (login)
        kiosk_admin_login_page_update(self->admin_login_page, login);
    if (mode == KIOSK_ADMIN_STATUS)
        kiosk_admin_page_update(self->admin_page, status, note, note_is_error,
                                (enum kiosk_stick_phase)stick, stick_action, stick_device);
}

const char *kiosk_window_admin_password(KioskWindow *self)
{
    return kiosk_admin_login_page_get_password(self->admin_login_page);
}

void kiosk_window_admin_login_reset(KioskWindow *self)
{
    kiosk_admin_login_page_reset(self->admin_login_page);
}

static GtkWidget *find_named(GtkWidget *w, const char *name)
{
    if (!gtk_widget_get_mapped(w))
        return NULL;
    if (g_strcmp0(gtk_widget_get_name(w), name) == 0)
        return w;
    for (GtkWidget *ch = gtk_widget_get_first_child(w); ch; ch = gtk_widget_get_next_sibling(ch)) {
        GtkWidget *found = find_named(ch, name);
        if (found)
            return found;
    }
    return NULL;
}

GtkWidget *kiosk_window_find_named(KioskWindow *self, const char *name)
{
    return find_named(GTK_WIDGET(self), name);
}

void kiosk_window_rebuild(KioskWindow *self)
{
    char *details[KIOSK_DETAILS_N] = {0};
    if (self->pages[SCREEN_WAITING])
        kiosk_waiting_page_get_details(self->pages[SCREEN_WAITING], details);
    for (unsigned i = 0; i < SCREEN_COUNT; i++) {
        if (self->pages[i])
            gtk_stack_remove(self->stack, self->pages[i]);
        self->pages[i] = NULL;
    }
    gtk_stack_remove(self->stack, self->admin_login_page);
    gtk_stack_remove(self->stack, self->admin_page);
    kiosk_window_create_pages(self);
    kiosk_waiting_page_set_details(self->pages[SCREEN_WAITING], details);
    for (unsigned i = 0; i < KIOSK_DETAILS_N; i++)
        g_free(details[i]);
}

void kiosk_window_details_saved(KioskWindow *self, gboolean ok, const char *error)
{
    kiosk_waiting_page_details_saved(self->pages[SCREEN_WAITING], ok, error);
}

/* ---- debug: what is on the screen ---------------------------------------------------- */

struct describe_ctx {
    KioskWindow *win;
    JsonBuilder *labels;
    JsonBuilder *problems;
    int min_target; /* smallest height of a visible button or entry */
    int w, h;
};

static void describe_widget(struct describe_ctx *c, GtkWidget *w)
{
    if (!gtk_widget_get_mapped(w))
        return;
    if (GTK_IS_LABEL(w)) {
        GtkLabel *l = GTK_LABEL(w);
        const char *text = gtk_label_get_text(l);
        if (text && *text) {
            json_builder_add_string_value(c->labels, text);
            if (pango_layout_is_ellipsized(gtk_label_get_layout(l)) &&
                !gtk_widget_has_css_class(w, "filename")) {
                g_autofree char *p = g_strdup_printf("ellipsized: %s", text);
                json_builder_add_string_value(c->problems, p);
            }
            graphene_rect_t r;
            if (!gtk_widget_get_ancestor(w, GTK_TYPE_SCROLLED_WINDOW) &&
                gtk_widget_compute_bounds(w, GTK_WIDGET(c->win), &r) &&
                (r.origin.x < -1 || r.origin.y < -1 || r.origin.x + r.size.width > c->w + 1 ||
                 r.origin.y + r.size.height > c->h + 1)) {
                g_autofree char *p = g_strdup_printf("outside the window: %s", text);
                json_builder_add_string_value(c->problems, p);
            }
        }
    }
    if (GTK_IS_BUTTON(w) || GTK_IS_ENTRY(w)) {
        int h = gtk_widget_get_height(w), wd = gtk_widget_get_width(w);
        int m = MIN(h, wd);
        if (c->min_target < 0 || m < c->min_target)
            c->min_target = m;
    }
    for (GtkWidget *ch = gtk_widget_get_first_child(w); ch; ch = gtk_widget_get_next_sibling(ch))
        describe_widget(c, ch);
}

char *kiosk_window_describe(KioskWindow *self, const struct screen_state *s, const char *lang)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    struct describe_ctx c = {
        .win = self,
        .labels = json_builder_new(),
        .problems = json_builder_new(),
        .min_target = -1,
        .w = gtk_widget_get_width(GTK_WIDGET(self)),
        .h = gtk_widget_get_height(GTK_WIDGET(self)),
    };
    json_builder_begin_array(c.labels);
    json_builder_begin_array(c.problems);
    describe_widget(&c, GTK_WIDGET(self));
    json_builder_end_array(c.labels);
    json_builder_end_array(c.problems);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "screen");
    json_builder_add_string_value(b, self->admin_mode != KIOSK_ADMIN_NONE
                                         ? admin_page_names[self->admin_mode]
                                         : screen_id_name(s->screen));
    json_builder_set_member_name(b, "service_screen");
    json_builder_add_string_value(b, screen_id_name(s->screen));
    json_builder_set_member_name(b, "visible_page");
    json_builder_add_string_value(b, gtk_stack_get_visible_child_name(self->stack));
    json_builder_set_member_name(b, "verdict");
    json_builder_add_string_value(b, screen_verdict_name(s->verdict));
    json_builder_set_member_name(b, "failed");
    json_builder_add_boolean_value(b, s->failed);
    json_builder_set_member_name(b, "oos_code");
    json_builder_add_string_value(b, screen_oos_code_name(s->oos_code));
    json_builder_set_member_name(b, "publication");
    json_builder_add_string_value(b, screen_publication_name(s->publication));
    json_builder_set_member_name(b, "language");
    json_builder_add_string_value(b, lang);
    json_builder_set_member_name(b, "connected");
    json_builder_add_boolean_value(b, s->connected);
    json_builder_set_member_name(b, "generation");
    json_builder_add_int_value(b, s->generation);
    json_builder_set_member_name(b, "width");
    json_builder_add_int_value(b, c.w);
    json_builder_set_member_name(b, "height");
    json_builder_add_int_value(b, c.h);
    json_builder_set_member_name(b, "fullscreen");
    json_builder_add_boolean_value(b, gtk_window_is_fullscreen(GTK_WINDOW(self)));
    json_builder_set_member_name(b, "decorated");
    json_builder_add_boolean_value(b, gtk_window_get_decorated(GTK_WINDOW(self)));
    json_builder_set_member_name(b, "min_touch_target");
    json_builder_add_int_value(b, c.min_target);
    json_builder_set_member_name(b, "labels");
    json_builder_add_value(b, json_builder_get_root(c.labels));
    json_builder_set_member_name(b, "problems");
    json_builder_add_value(b, json_builder_get_root(c.problems));
    json_builder_end_object(b);
    g_object_unref(c.labels);
    g_object_unref(c.problems);

    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    return json_generator_to_data(gen, NULL);
}

gboolean kiosk_window_save_png(KioskWindow *self, const char *path, GError **error)
{
    GtkWidget *w = GTK_WIDGET(self);
    int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
    GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(self));
    if (width <= 0 || height <= 0 || !renderer) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "window not realized");
        return FALSE;
    }
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(w);
    GtkSnapshot *snap = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snap, width, height);
    g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snap);
    if (!node) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing drawn");
        return FALSE;
    }
    g_autoptr(GdkTexture) tex =
        gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
    if (!gdk_texture_save_to_png(tex, path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
        return FALSE;
    }
    return TRUE;
}
